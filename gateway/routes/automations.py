"""Automation rules: a site's own triggers, conditions and actions, their run log and templates
(automations:manage)."""
from flask.views import MethodView

from gateway.blueprint import ApiBlueprint
from gateway.schemas import automations as s
from gateway.schemas.common import PageQuerySchema, page_schema, split_page
from gateway.services import notifications

blp = ApiBlueprint("automations", __name__, description="Automation rules: when an event happens, act by itself")


@blp.route("/automations")
class Automations(MethodView):
    @blp.operation(200, page_schema(s.AutomationSchema), 400, 403, query=PageQuerySchema)
    def get(self, args):
        """The automation rules of the caller's sites (those of every site for sites:all), newest first."""
        return notifications.list_automations(limit=args["limit"], cursor=args.get("cursor"))

    @blp.operation(201, s.AutomationSchema, 403, 503, body=s.AutomationCreateSchema)
    def post(self, body):
        """Create a rule: one trigger event, conditions on the event (``event.<field>``) and on the customer as
        it is when the rule runs (``customer.<field>``), and actions done in order. With ``template`` (a key of
        ``GET /automation-templates``) the template's trigger, conditions, actions and name are taken unless
        given. The caller becomes the rule's owner: its actions run with the caller's permissions, at the
        rule's site. Each trigger event runs a rule at most once; the runs are logged
        (``GET /automations/{id}/runs``). 422 names the field (``actions.0.user_ids``, ``site_id``...)."""
        return notifications.create_automation(body)


@blp.route("/automations/<rule_id>")
class Automation(MethodView):
    @blp.operation(200, s.AutomationSchema, 403, 404)
    def get(self, rule_id):
        """One automation rule."""
        return notifications.get_automation(rule_id)

    @blp.operation(200, s.AutomationSchema, 403, 404, 409, 503, body=s.AutomationUpdateSchema)
    def patch(self, body, rule_id):
        """Change a rule (``enabled: false`` pauses it); 409 on a stale ``version``. Whoever saves it becomes
        its owner. Runs already started keep the conditions and actions they started with."""
        return notifications.update_automation(rule_id, body)

    @blp.operation(204, None, 403, 404)
    def delete(self, rule_id):
        """Delete a rule: its pending runs are skipped, its grant revoked; its run log stays until it ages out."""
        notifications.delete_automation(rule_id)


@blp.route("/automations/<rule_id>/runs")
@blp.operation(200, page_schema(s.AutomationRunSchema), 400, 403, 404, query=s.AutomationRunQuerySchema)
def list_runs(args, rule_id):
    """A rule's runs, newest first: the trigger, the customer, each action's outcome and error. A run whose
    trigger was caused by 3 rule runs in a row is ``refused`` (the limit on rules triggering each other)."""
    filters, limit, cursor = split_page(args)
    return notifications.list_automation_runs(rule_id, filters, limit=limit, cursor=cursor)


@blp.route("/automations/<rule_id>/test", methods=["POST"])
@blp.operation(200, s.AutomationTestResultSchema, 403, 404, body=s.AutomationTestSchema)
def test_rule(body, rule_id):
    """Try a rule on a customer (as the caller sees it) with a supposed trigger ``event``: each condition with
    the value it read, and the actions that would run with their texts filled in. Nothing is written."""
    return notifications.test_automation(rule_id, body)


@blp.route("/automation-templates")
@blp.operation(200, s.AutomationTemplatesSchema, 403)
def list_templates():
    """Ready-made rules to enable in one click (``POST /automations`` with ``template`` and ``site_id``),
    named and described in the caller's language."""
    return notifications.automation_templates()


@blp.route("/reports/automations")
@blp.operation(200, s.AutomationReportSchema, 400, 403, query=s.ActivityReportQuerySchema)
def report_automations(args):
    """What the rules of your sites did in a period (default the last 30 days): each rule's runs by status."""
    return notifications.report_automations(split_page(args)[0])


@blp.route("/reports/campaigns")
@blp.operation(200, s.CampaignReportSchema, 400, 403, query=s.ActivityReportQuerySchema)
def report_campaigns(args):
    """The campaigns of your sites that ended in a period (default the last 30 days), with their counts."""
    return notifications.report_campaigns(split_page(args)[0])
