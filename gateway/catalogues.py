"""The catalogues ``GET /catalogues/<name>`` serves: every enumeration the API takes, labelled from
the ``labels`` message catalogue (``<name>.<code>``), and the national code lists the contracts
publish. Static data: answered without asking a service."""
from services.accounts import contract as accounts
from services.common import messages, regions
from services.common.schemas import LANGUAGES
from services.customers import contract as customers
from services.feedback import contract as feedback
from services.notifications import contract as notifications

# name -> its codes, in the order the UI offers them
ENUMERATIONS = {
    "tiers": customers.TIERS,
    "account_types": customers.ACCOUNT_TYPES,
    "customer_statuses": customers.STATUSES,
    "lifecycle_stages": customers.LIFECYCLE,
    "churn_levels": customers.CHURN_LEVELS,
    "address_types": customers.ADDRESS_TYPES,
    "interaction_kinds": customers.INTERACTION_KINDS,
    "opportunity_stages": customers.STAGES,
    "order_statuses": customers.ORDER_STATUSES,
    "payment_methods": customers.PAYMENT_METHODS,
    "service_statuses": customers.SERVICE_STATUSES,
    "followup_statuses": customers.FOLLOWUP_STATUSES,
    "company_sizes": customers.COMPANY_SIZES,
    "source_channels": customers.SOURCE_CHANNELS,
    "feedback_severities": feedback.SEVERITIES,
    "feedback_statuses": feedback.STATUSES,
    "feedback_channels": feedback.CHANNELS,
    "feedback_types": feedback.TYPES,
    "feedback_categories": feedback.DEFAULT_CATEGORIES,
    "feedback_response_kinds": feedback.RESPONSE_KINDS,
    "survey_question_kinds": feedback.QUESTION_KINDS,
    "notification_kinds": notifications.KINDS,
    "webhook_delivery_statuses": notifications.DELIVERY_STATUSES,
    "campaign_channels": notifications.CAMPAIGN_CHANNELS,
    "campaign_contacts": notifications.CAMPAIGN_CONTACTS,
    "campaign_statuses": notifications.CAMPAIGN_STATUSES,
    "recipient_statuses": notifications.RECIPIENT_STATUSES,
    "skip_reasons": notifications.SKIP_REASONS,
    "campaign_occasions": notifications.CAMPAIGN_OCCASIONS,
    "subscribed_reports": notifications.SUBSCRIBED_REPORTS,
    "report_frequencies": notifications.REPORT_FREQUENCIES,
    "automation_trigger_kinds": notifications.AUTOMATION_TRIGGER_KINDS,
    "automation_triggers": notifications.AUTOMATION_TRIGGERS,
    "automation_dates": notifications.AUTOMATION_DATES,
    "automation_contacts": notifications.AUTOMATION_CONTACTS,
    "automation_assign_by": notifications.AUTOMATION_ASSIGN_BY,
    "automation_operators": notifications.AUTOMATION_OPERATORS,
    "automation_actions": notifications.AUTOMATION_ACTIONS,
    "automation_recipients": notifications.AUTOMATION_RECIPIENTS,
    "automation_run_statuses": notifications.AUTOMATION_RUN_STATUSES,
    "automation_templates": notifications.AUTOMATION_TEMPLATES,
    "user_statuses": accounts.STATUSES,
    "site_statuses": accounts.SITE_STATUSES,
    "roles": accounts.ROLES,
    "permissions": accounts.PERMISSIONS,
    "import_entities": customers.IMPORT_KINDS,
    "import_statuses": customers.IMPORT_STATUSES,
    "duplicate_reasons": customers.DUPLICATE_REASONS,
    "merge_statuses": customers.MERGE_STATUSES,
    "target_measures": customers.TARGET_MEASURES,
    "performance_measures": customers.PERFORMANCE_MEASURES,
    "login_failures": accounts.LOGIN_FAILURES,
    "languages": LANGUAGES,
}


def labels(name, code):
    return {language: messages.text("labels", "%s.%s" % (name, code), language) for language in LANGUAGES}


def enumeration(name):
    return [{"code": code, "labels": labels(name, code), "parent": None} for code in ENUMERATIONS[name]]


def industries():
    """GB/T 4754-2017: each section (parent None), then its divisions (parent: the section)."""
    return [{"code": code, "labels": {"zh-CN": zh, "en": en}, "parent": parent}
            for code, zh, en, parent in customers.INDUSTRIES]


def divisions():
    """GB/T 2260: the provinces (parent None), then the cities, then the districts (``regions``)."""
    return list(regions.catalogue())


# name -> a function answering its entries (each {code, labels, parent})
CATALOGUES = {name: (lambda name=name: enumeration(name)) for name in ENUMERATIONS}
CATALOGUES["industries"] = industries
CATALOGUES["regions"] = divisions
# The literal ``parent`` that asks for the top level of a hierarchy.
TOP = "none"


def names():
    return sorted(CATALOGUES)


def entries(name, parent=None):
    """The entries of catalogue ``name`` (only those under ``parent``, or at the top for ``TOP``),
    or None when there is no such catalogue."""
    build = CATALOGUES.get(name)
    if build is None:
        return None
    found = build()
    if parent is None:
        return found
    wanted = None if parent == TOP else parent
    return [entry for entry in found if entry["parent"] == wanted]
