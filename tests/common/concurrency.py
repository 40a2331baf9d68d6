"""Run one piece of work from several threads at the same moment, for the claim tests."""
import threading

JOIN_SECONDS = 60


def race(count, work):
    """``[work(0), ..., work(count - 1)]``, each started in its own thread once all are ready;
    an exception in one is raised here."""
    ready = threading.Barrier(count)
    results = [None] * count
    errors = []

    def run(number):
        try:
            ready.wait(JOIN_SECONDS)
            results[number] = work(number)
        except Exception as exc:  # handed to the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a racing thread did not finish"
    if errors:
        raise errors[0]
    return results
