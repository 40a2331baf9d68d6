"""`make run`'s SMTP sink keeps every message it receives as a file under its directory."""
import smtplib
import subprocess
import sys
from email.message import EmailMessage

from tests.support.servers import free_port, wait_for_port
from tests.support.stack import ROOT


def test_the_mail_sink_keeps_messages_as_files(tmp_path):
    port = free_port()
    directory = tmp_path / "mail"
    process = subprocess.Popen([sys.executable, "-m", "deploy.mailsink", "--host", "127.0.0.1", "--port", str(port),
                                "--dir", str(directory)], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, timeout=20)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "crm@localhost", "ann@factory.test", "Reset"
        message.set_content("Open http://localhost:8000/reset-password?token=abc\n")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(message)
        [kept] = list(directory.glob("*.eml"))
        text = kept.read_text()
        assert "Subject: Reset" in text and "reset-password?token=abc" in text
    finally:
        process.terminate()
        process.wait(10)
    assert process.returncode == 0
