"""The catalogue of every error code the portal shows: the code, its stage, cause and fix.

The checks, the services and the help page all read this one table, so a code means the same
thing everywhere it appears.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy, ngettext


def _(text: str) -> str:
    # Translated when shown, in the language of the page, API answer or e-mail that shows it;
    # typed as a str because a lazy string is used as one (format, join, templates).
    return gettext_lazy(text)  # type: ignore[return-value]


# A count in a message is written with its unit as `{minutes:minute}`: "1 minute", "5 minutes".
UNITS = {
    "minute": lambda n: ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n},
    "day": lambda n: ngettext("%(n)d day", "%(n)d days", n) % {"n": n},
    "time": lambda n: ngettext("once", "%(n)d times", n) % {"n": n},
    "failed attempt": lambda n: (
        ngettext("%(n)d failed attempt", "%(n)d failed attempts", n) % {"n": n}
    ),
    "wrong attempt": lambda n: (
        ngettext("%(n)d wrong attempt", "%(n)d wrong attempts", n) % {"n": n}
    ),
}
_UNIT_FIELD = re.compile(r"\{(\w+):(" + "|".join(map(re.escape, UNITS)) + r")\}")


class Count(int):
    """A number that a message writes with its unit in the right number (`{n:day}`)."""

    def __format__(self, spec: str) -> str:
        if spec in UNITS:
            return UNITS[spec](int(self))
        return format(int(self), spec)


def _counted(params: dict) -> dict:
    return {
        k: Count(v) if isinstance(v, int) and not isinstance(v, bool) else v
        for k, v in params.items()
    }


def _as_template(text: str) -> str:
    # The help page shows the words in braces: "{minutes} minutes", not "{minutes:minute}",
    # with the unit in the page's language (the plural of a sample count, its digit replaced).
    return _UNIT_FIELD.sub(
        lambda m: UNITS[m.group(2)](5).replace("5", "{" + m.group(1) + "}"), str(text)
    )


VALIDATION = "validation"
APPROVAL = "approval"
CONSENT = "consent"
ACTIVATION = "activation"
VERIFICATION = "verification"
# The reseller's own connection to the cloud: endpoints, partner access key, partner permissions.
CONNECTION = "connection"
# What the customer did in the cloud (association, agency, roles) and the portal cannot see yet.
PROPAGATION = "propagation"
# The reseller's webhook endpoints: the addresses events are sent to, and their deliveries.
WEBHOOK = "webhook"
# What any page can answer, whatever it does: a bad request, a refused role, a missing page.
PAGE = "page"

STAGES = [
    CONNECTION,
    VALIDATION,
    APPROVAL,
    CONSENT,
    PROPAGATION,
    ACTIVATION,
    VERIFICATION,
    WEBHOOK,
    PAGE,
]


@dataclass(frozen=True)
class Code:
    code: str
    stage: str
    title: str
    message: str
    hint: str

    def render(self, **params) -> tuple[str, str]:
        """The message and the hint with `params` filled in, counts with their unit."""
        counted = _counted(params)
        return self.message.format(**counted), self.hint.format(**counted)

    @property
    def message_template(self) -> str:
        return _as_template(self.message)

    @property
    def hint_template(self) -> str:
        return _as_template(self.hint)


_ENTRIES = [
    # --- validation: the request itself ---------------------------------------------------
    Code(
        "LNK-V001",
        VALIDATION,
        _("Malformed account id"),
        _("“{account_id}” is not a valid customer account id."),
        _(
            "An account id is the customer's domain id: 32 hexadecimal characters (0-9, a-f); "
            "case, spaces and dashes do not matter. Copy it from My Credentials in the customer's "
            "console."
        ),
    ),
    Code(
        "LNK-V002",
        VALIDATION,
        _("Account not in the directory"),
        _("No customer account {account_id} exists in the directory."),
        _(
            "Check the id with the customer. New accounts appear in the directory within a day "
            "of registration; contact platform support if it is still missing."
        ),
    ),
    Code(
        "LNK-V003",
        VALIDATION,
        _("Account frozen"),
        _("Customer account {account_id} is frozen — {provenance}."),
        _("The customer must resolve the freeze with the platform before it can be linked."),
    ),
    Code(
        "LNK-V004",
        VALIDATION,
        _("Account in arrears"),
        _("Customer account {account_id} is in arrears — {provenance}."),
        _("The customer must settle the outstanding balance before it can be linked."),
    ),
    Code(
        "LNK-V005",
        VALIDATION,
        _("Account deregistered"),
        _("Customer account {account_id} has been deregistered — {provenance}."),
        _("A deregistered account cannot be linked. Ask the customer for their current account."),
    ),
    Code(
        "LNK-V006",
        VALIDATION,
        _("Account on the other site"),
        _(
            "Customer account {account_id} belongs to the {account_site} site; your program is on "
            "the {reseller_site} site."
        ),
        _("Accounts can only be linked within one site. Use the partner program of that site."),
    ),
    Code(
        "LNK-V007",
        VALIDATION,
        _("Account is a partner"),
        _("Customer account {account_id} is itself a partner account."),
        _(
            "Partner accounts cannot be linked as customers. Link the partner's customer accounts "
            "instead."
        ),
    ),
    Code(
        "LNK-V008",
        VALIDATION,
        _("Another billing partner"),
        _("Customer account {account_id} already has another billing partner."),
        _(
            "A customer has one billing partner at a time. The customer must end the current "
            "billing association first; you can still request provisioning or delegation."
        ),
    ),
    Code(
        "LNK-V009",
        VALIDATION,
        _("Link type not in your program"),
        _("Your partner program does not allow {link_type} links."),
        _("Choose another link type, or ask platform staff to extend your program."),
    ),
    Code(
        "LNK-V010",
        VALIDATION,
        _("Region not enabled"),
        _("Region {region} is not enabled for customer account {account_id}."),
        _("Remove the region from the scope, or ask the customer to enable it first."),
    ),
    Code(
        "LNK-V011",
        VALIDATION,
        _("Link already exists"),
        _("You already have an active {link_type} link with customer account {account_id}."),
        _("Open the existing link and amend its scope instead of requesting a new one."),
    ),
    Code(
        "LNK-V012",
        VALIDATION,
        _("Request already open"),
        _(
            "Request {reference} for a {link_type} link with customer account {account_id} is "
            "still open."
        ),
        _("Open that request and follow it up, or cancel it before starting a new one."),
    ),
    Code(
        "LNK-V013",
        VALIDATION,
        _("Missing role"),
        _("Your role in {reseller} does not allow this action."),
        _("Ask an admin of your reseller to give you the {role} role."),
    ),
    Code(
        "LNK-V014",
        VALIDATION,
        _("No link type chosen"),
        _("Choose at least one link type."),
        _("Tick billing, provisioning or delegation in step 1."),
    ),
    Code(
        "LNK-V015",
        VALIDATION,
        _("No services in scope"),
        _("The {link_type} item has no services, or names a service that is not offered."),
        _("Pick one or more services from the list in step 3."),
    ),
    Code(
        "LNK-V016",
        VALIDATION,
        _("No regions in scope"),
        _("The {link_type} item has no regions, or names a region that does not exist."),
        _("Pick one or more regions from the list in step 3."),
    ),
    Code(
        "LNK-V017",
        VALIDATION,
        _("Delegation duration out of range"),
        _("A delegation lasts from 1 to 730 days; {days} was given."),
        _("Choose a duration between 1 day and 2 years."),
    ),
    Code(
        "LNK-V018",
        VALIDATION,
        _("Unknown access level"),
        _("“{level}” is not an access level."),
        _("Choose read-only or manage."),
    ),
    Code(
        "LNK-V019",
        VALIDATION,
        _("Reseller not active"),
        _("Your reseller account {reseller} is {status}."),
        _("New requests are blocked until platform staff reactivate your program."),
    ),
    Code(
        "LNK-V020",
        VALIDATION,
        _("No consent contact"),
        _("Customer account {account_id} has no contact e-mail for consent."),
        _("Ask platform support to record the customer's contact address in the directory."),
    ),
    Code(
        "LNK-V021",
        VALIDATION,
        _("No customer chosen"),
        _("The request names no customer account yet."),
        _("Enter the customer's account id in step 2."),
    ),
    Code(
        "LNK-V022",
        VALIDATION,
        _("Consent deadline out of range"),
        _("The consent deadline must be between 1 day and {max_days:day}; {days} was given."),
        _("Choose a shorter deadline."),
    ),
    Code(
        "LNK-V023",
        VALIDATION,
        _("Malformed account name"),
        _("“{account_name}” is not a valid customer account name."),
        _(
            "An account name is the name the customer signs in with: up to 64 letters, digits, "
            "“-”, “_” or “.”, e.g. contoso-ops."
        ),
    ),
    Code(
        "LNK-V024",
        VALIDATION,
        _("No account with that name"),
        _("No customer account named {account_name} exists in the directory."),
        _(
            "Check the name with the customer, or give the account id instead: names of accounts "
            "imported without one are not known to the portal."
        ),
    ),
    Code(
        "LNK-V025",
        VALIDATION,
        _("Account id and name disagree"),
        _("Account {account_id} is not named {account_name}."),
        _("Give the id and the name of the same account, or only one of them."),
    ),
    # --- state of a request ----------------------------------------------------------------
    Code(
        "LNK-S001",
        VALIDATION,
        _("Action not possible in this state"),
        _("Request {reference} is {status}; it cannot be {action}."),
        _("Reload the request to see its current state and what it is waiting on."),
    ),
    Code(
        "LNK-S002",
        VALIDATION,
        _("Not your draft"),
        _("Only the initiator of request {reference} can change the draft."),
        _("Ask the initiator to finish it, or start a request of your own."),
    ),
    # --- approval ------------------------------------------------------------------------
    Code(
        "LNK-A001",
        APPROVAL,
        _("Maker-checker"),
        _("You started request {reference}, so you cannot approve or reject it."),
        _("Another approver of your reseller must decide it."),
    ),
    Code(
        "LNK-A002",
        APPROVAL,
        _("Missing approver role"),
        _("Your role in {reseller} does not allow approving requests."),
        _("Ask an admin of your reseller for the approver role."),
    ),
    Code(
        "LNK-A003",
        APPROVAL,
        _("Reason required"),
        _("A rejection needs a reason."),
        _("Say why, so the initiator knows what to fix."),
    ),
    Code(
        "LNK-A004",
        APPROVAL,
        _("Nobody else can approve"),
        _(
            "Nobody else can approve this request: the approval policy of {reseller} needs a "
            "second person, and {situation}."
        ),
        _(
            "Ask an admin of {reseller} to give another member the approver role, then submit "
            "again. A request waiting for approval would otherwise expire unseen."
        ),
    ),
    Code(
        "LNK-A005",
        APPROVAL,
        _("Reason not accepted"),
        _("The reason was not accepted ({problem}), so nothing was changed."),
        _("Correct the reason (at most 2000 characters) and try again."),
    ),
    # --- consent -------------------------------------------------------------------------
    Code(
        "LNK-C001",
        CONSENT,
        _("Unknown link"),
        _("This consent link is not valid."),
        _(
            "Open the link exactly as it appears in the most recent e-mail, or ask your partner "
            "to send a new one."
        ),
    ),
    Code(
        "LNK-C002",
        CONSENT,
        _("Link expired"),
        _("This consent link has expired."),
        _("Ask your partner to send a new request if you still want to proceed."),
    ),
    Code(
        "LNK-C003",
        CONSENT,
        _("Link already used"),
        _("This consent link has already been used or replaced by a newer one."),
        _(
            "Use the link in the most recent e-mail. Your earlier decision is final; your partner "
            "can send a new request."
        ),
    ),
    Code(
        "LNK-C004",
        CONSENT,
        _("Request withdrawn"),
        _("This request was withdrawn by the partner."),
        _("There is nothing to do. Contact your partner if you expected it."),
    ),
    Code(
        "LNK-C005",
        CONSENT,
        _("Confirmation does not match"),
        _("The account id typed to confirm does not match this account."),
        _(
            "Type your account id exactly as shown on this page to grant manage access to "
            "sensitive services."
        ),
    ),
    Code(
        "LNK-C006",
        CONSENT,
        _("Decision missing"),
        _("Decide every item: accept or decline each one."),
        _("Choose accept or decline for each item, then confirm."),
    ),
    Code(
        "LNK-C007",
        CONSENT,
        _("Consent e-mail refused"),
        _("The consent e-mail to {email} was refused by the receiving mail server."),
        _(
            "Check the address with the customer. Once the directory holds the right address, "
            "resend the consent e-mail from the request page."
        ),
    ),
    Code(
        "LNK-C008",
        CONSENT,
        _("Decision already recorded"),
        _(
            "This request was already decided, and the decision was recorded; this page records "
            "nothing more."
        ),
        _(
            "Your receipt was e-mailed to the account's contact address when the decision was "
            "made. To change your mind, ask your partner: they can send a new request, or you can "
            "withdraw a delegation from the link in its e-mail."
        ),
    ),
    # --- resend and reminders -------------------------------------------------------------
    Code(
        "LNK-R001",
        CONSENT,
        _("Resent too recently"),
        _("The consent e-mail of {reference} was sent less than {minutes:minute} ago."),
        _("The next resend is possible at {next_at}. Give the customer a moment to find it."),
    ),
    Code(
        "LNK-R002",
        CONSENT,
        _("Resend limit reached"),
        _("The consent e-mail of {reference} has been resent {count:time}, the most allowed."),
        _("Contact the customer directly, or cancel this request and start a new one."),
    ),
    Code(
        "LNK-R003",
        CONSENT,
        _("Address not in the directory"),
        _("{email} is not the contact address of account {account_id} in the directory."),
        _(
            "Consent e-mails only go to the directory's contact address. Ask platform staff to "
            "correct the directory first, then resend."
        ),
    ),
    Code(
        "LNK-R004",
        CONSENT,
        _("Deadline beyond the maximum"),
        _("The consent deadline can be extended to {max_date} at the latest."),
        _("Choose fewer days: a customer gets at most {max_days:day} in all to decide."),
    ),
    # --- activation ----------------------------------------------------------------------
    Code(
        "LNK-P001",
        ACTIVATION,
        _("Account no longer active"),
        _("Customer account {account_id} became {status} before the link was activated."),
        _("The link stays pending until the account is active again; contact the customer."),
    ),
    Code(
        "LNK-P002",
        ACTIVATION,
        _("Billing partner changed"),
        _("Customer account {account_id} got another billing partner before activation."),
        _("The billing item cannot be activated. Contact the customer."),
    ),
    Code(
        "LNK-P003",
        ACTIVATION,
        _("Partner program not active"),
        _("The partner program of {reseller} is {status}: nothing can be linked or granted."),
        _(
            "Nothing was granted. Platform staff decide when the program is active again; then "
            "the partner sends a new request, and suspended links are resumed by platform staff."
        ),
    ),
    Code(
        "LNK-P004",
        ACTIVATION,
        _("Link type no longer in the program"),
        _("The partner program of {reseller} no longer allows {link_type} links."),
        _(
            "Nothing was granted for it. The partner can ask platform staff to extend its program, "
            "then send a new request."
        ),
    ),
    # --- verification --------------------------------------------------------------------
    Code(
        "LNK-Y001",
        VERIFICATION,
        _("Link not active"),
        _("The link is {status}, not active."),
        _(
            "Wait for activation to finish; if it stays so, open the request to see what it "
            "waits on."
        ),
    ),
    Code(
        "LNK-Y002",
        VERIFICATION,
        _("Customer scope not visible"),
        _("Your users cannot see customer account {account_id}."),
        _(
            "Re-run the verification in a few minutes; grants can take a moment to "
            "propagate. If it "
            "keeps failing, contact platform support with the link reference."
        ),
    ),
    Code(
        "LNK-Y003",
        VERIFICATION,
        _("Granted scope incomplete"),
        _("Part of the granted scope is missing: {missing}."),
        _(
            "The service or region may have been withdrawn from the catalog or the account. Amend "
            "the link to the scope that exists, or contact platform support."
        ),
    ),
    Code(
        "LNK-Y004",
        VERIFICATION,
        _("Billing association missing"),
        _("You are not recorded as the billing partner of account {account_id}."),
        _(
            "Re-run the verification in a few minutes; if it keeps failing, contact platform "
            "support before the next invoice run."
        ),
    ),
    Code(
        "LNK-Y005",
        VERIFICATION,
        _("Delegated access wrong"),
        _("Delegated access does not match the granted level: {detail}."),
        _("Re-run the verification; if it keeps failing, revoke and re-request the delegation."),
    ),
    Code(
        "LNK-Y006",
        VERIFICATION,
        _("Audit trail incomplete"),
        _("The audit trail lacks {missing}."),
        _(
            "Contact platform support with the link reference: a link must be traceable to the "
            "customer's consent."
        ),
    ),
    Code(
        "LNK-Y007",
        VERIFICATION,
        _("No cloud connection to prove the link"),
        _(
            "{reseller} has no cloud connection, so nothing of link {reference} can be proven in "
            "the cloud."
        ),
        _(
            "An admin of your reseller enters the partner account and its access key on the Cloud "
            "connection page; the checks then run again."
        ),
    ),
    Code(
        "LNK-Y008",
        VERIFICATION,
        _("Region reachable without consent"),
        _(
            "The agency “{agency}” of account {account_id} also works in {regions}, which the "
            "customer did not consent to."
        ),
        _(
            "The customer removes the agency's permissions from the projects of those regions; "
            "until then the link is not proven."
        ),
    ),
    Code(
        "LNK-Y009",
        VERIFICATION,
        _("Agency allows more than consented"),
        _(
            "The agency “{agency}” of account {account_id} allows creating servers in {where}, "
            "although only {level} access was consented."
        ),
        _(
            "The customer replaces the agency's full-access permissions with the read-only ones "
            "shown on the receipt; until then the link is not proven."
        ),
    ),
    Code(
        "LNK-Y010",
        VERIFICATION,
        _("No probe for this service"),
        _("The portal has no read-only call to prove {service}: access to it is not proven."),
        _(
            "Nothing to do for the link to work; check the service in the cloud console with the "
            "customer if it matters."
        ),
    ),
    # --- verification: drift, the scheduled re-verification of an active link ---------------
    Code(
        "LNK-Y011",
        VERIFICATION,
        _("Link broken: the cloud side is gone"),
        _(
            "The customer's cloud side of link {reference} no longer answers as consented "
            "({found}), on {checks} checks in a row; your operators' access through it was removed."
        ),
        _(
            "The customer recreates the agency exactly as the receipt shows and presses “I have "
            "done it” there; the link then waits for its setup again and is active once proven. "
            "No new request is needed."
        ),
    ),
    Code(
        "LNK-Y012",
        VERIFICATION,
        _("Billing association ended in the cloud"),
        _(
            "The cloud no longer reports account {account_id} as a resale customer of your partner "
            "account ({found}), on {checks} checks in a row: billing link {reference} has ended."
        ),
        _(
            "If the customer still wants you as their billing partner, send a new request; they "
            "accept your association invitation again."
        ),
    ),
    Code(
        "LNK-Y013",
        VERIFICATION,
        _("Link grants more than consented"),
        _(
            "The cloud side of link {reference} allows more than the customer consented: "
            "{too_broad}."
        ),
        _(
            "The customer narrows the agency to the roles on the receipt. The link stays active; "
            "the flag clears at the first check that finds the agency narrowed."
        ),
    ),
    # --- clean-up: the cloud side of a link that ended --------------------------------------
    Code(
        "LNK-Y020",
        VERIFICATION,
        _("Agency still in place"),
        _(
            "The agency “{agency}” of account {account_id} can still be assumed by your partner "
            "account, although link {reference} has ended."
        ),
        _(
            "The customer deletes the agency (the e-mail about the end of the link names it and "
            "says how); the portal checks again by itself. The portal's own access ended already."
        ),
    ),
    Code(
        "LNK-Y021",
        VERIFICATION,
        _("Association still reported"),
        _(
            "Account {account_id} is still among your partner account's associated customers, "
            "although the billing of link {reference} has ended."
        ),
        _(
            "End the association in your partner console (or the customer unbinds the partner); "
            "the portal checks again by itself."
        ),
    ),
    Code(
        "LNK-Y022",
        VERIFICATION,
        _("Cloud side still reachable"),
        _(
            "Link {reference} ended on {ended_on}, and {days:day} later its cloud side can still "
            "be reached: {detail}"
        ),
        _(
            "Ask the customer to do the clean-up steps they were sent (delete the agency; "
            "terraform destroy if they used the Terraform file). The portal keeps checking daily "
            "and shows the link cleaned up once it is gone."
        ),
    ),
    # --- connection: the reseller's connection to the cloud ---------------------------------
    Code(
        "LNK-N001",
        CONNECTION,
        _("Cloud unreachable"),
        _("The cloud did not answer {operation} in time, or refused the connection."),
        _(
            "Nothing was changed; the portal tries again later. If it keeps happening, check the "
            "endpoints of your cloud connection and that the portal can reach them."
        ),
    ),
    Code(
        "LNK-N002",
        CONNECTION,
        _("Cloud is throttling"),
        _("The cloud is limiting the requests of your access key ({operation})."),
        _(
            "Nothing was changed; the portal tries again later with a longer pause. Other tools "
            "using the same access key share its limit."
        ),
    ),
    Code(
        "LNK-N003",
        CONNECTION,
        _("Access key refused"),
        _(
            "The cloud refused your partner access key ({operation}): the key or its secret is "
            "wrong, or the key is disabled."
        ),
        _(
            "Create a new access key for the partner account and enter both parts again in the "
            "cloud connection settings. After about five refusals the cloud locks the key for "
            "five minutes."
        ),
    ),
    Code(
        "LNK-N004",
        CONNECTION,
        _("Partner permission missing"),
        _("Your partner account may not call {operation}."),
        _(
            "Listing customers needs a solution-provider or level-1-distributor account (operator "
            "accounts need the customer-management permission); using customers' agencies needs "
            "the Agent Operator permission. Ask the partner account's administrator to grant it."
        ),
    ),
    Code(
        "LNK-N005",
        CONNECTION,
        _("Cloud failure"),
        _("The cloud failed to answer {operation} ({detail})."),
        _(
            "Nothing was changed; the portal tries again later. If it keeps happening, tell "
            "platform support the error code, the time and the request id."
        ),
    ),
    Code(
        "LNK-N006",
        CONNECTION,
        _("No cloud connection yet"),
        _("{reseller} has no cloud connection yet."),
        _(
            "An admin of your reseller enters the partner account and its access key on the Cloud "
            "connection page."
        ),
    ),
    Code(
        "LNK-N007",
        CONNECTION,
        _("Encryption keys missing"),
        _("The portal has no usable encryption keys for stored access keys."),
        _(
            "Tell platform staff: PORTAL_ENCRYPTION_KEYS is empty or holds a key that is not a "
            "Fernet key."
        ),
    ),
    Code(
        "LNK-N008",
        CONNECTION,
        _("Stored access key unreadable"),
        _(
            "The stored access key of the cloud connection cannot be decrypted with the portal's "
            "encryption keys."
        ),
        _(
            "Enter the access key and its secret key again on the Cloud connection page, or ask "
            "platform staff to put the key that encrypted it back into PORTAL_ENCRYPTION_KEYS."
        ),
    ),
    Code(
        "LNK-N009",
        CONNECTION,
        _("Admin role needed"),
        _("Only admins of {reseller} can change or test its cloud connection."),
        _("Ask an admin of your reseller."),
    ),
    Code(
        "LNK-N010",
        CONNECTION,
        _("Access key incomplete"),
        _("An access key is entered together with its secret key."),
        _("Enter both parts of the new access key, or leave both empty to keep the stored one."),
    ),
    Code(
        "LNK-N011",
        CONNECTION,
        _("Customer sync not saved"),
        _("The customers the cloud reported could not be saved ({detail})."),
        _(
            "The pages saved before stay; the next sync reads every page again. If it keeps "
            "happening, tell platform support the time of the sync."
        ),
    ),
    Code(
        "LNK-N012",
        CONNECTION,
        "No cloud connection to read the scope of the link",
        "{reseller} has no cloud connection, so what link {reference} reaches cannot be read "
        "in the cloud.",
        "An admin of your reseller enters the partner account and its access key on the Cloud "
        "connection page; then press Refresh, or wait for the next read.",
    ),
    # --- propagation: what the customer did in the cloud, not visible yet --------------------
    Code(
        "LNK-G001",
        PROPAGATION,
        _("Customer not associated"),
        _("Account {account_id} is not among your partner account's associated customers."),
        _(
            "The customer accepts your association invitation in their cloud console; the "
            "association can take a few minutes to show. Check the account id with the customer."
        ),
    ),
    Code(
        "LNK-G002",
        PROPAGATION,
        _("Agency not found"),
        _("Account {account_id} has no agency “{agency}” that trusts your partner account."),
        _(
            "The customer creates the agency with exactly this name and your partner account name "
            "as the trusted account; changes can take a few minutes to take effect."
        ),
    ),
    Code(
        "LNK-G003",
        PROPAGATION,
        _("Agency does not allow it"),
        _("The agency “{agency}” of account {account_id} does not allow {operation} in {where}."),
        _(
            "The customer adds the consented role for this region to the agency; role changes can "
            "take a few minutes to take effect."
        ),
    ),
    Code(
        "LNK-G004",
        PROPAGATION,
        _("Agency credentials refused"),
        _(
            "The cloud refused the temporary credentials of agency “{agency}” of account "
            "{account_id} ({operation})."
        ),
        _(
            "The portal fetches new credentials and tries again later. If it keeps happening, the "
            "agency was deleted or changed: ask the customer to check it."
        ),
    ),
    Code(
        "LNK-G005",
        PROPAGATION,
        _("Association of another type"),
        _(
            "Account {account_id} is associated with your partner account as {found}, not as "
            "{expected}."
        ),
        _(
            "Send the customer your resale association invitation and ask them to accept it; a "
            "changed association can take a few minutes to show."
        ),
    ),
    Code(
        "LNK-G006",
        PROPAGATION,
        _("Consented region not reachable"),
        _("The agency “{agency}” of account {account_id} reaches no project in {regions}."),
        _(
            "The customer gives the agency the consented permissions in the project of each of "
            "these regions; changes can take a few minutes to take effect."
        ),
    ),
    # --- link lifecycle --------------------------------------------------------------------
    Code(
        "LNK-L001",
        VALIDATION,
        _("Link not live"),
        _("Link {reference} is {status}; it cannot be {action}."),
        _("Reload the link to see its current state."),
    ),
    Code(
        "LNK-L002",
        VALIDATION,
        _("Reason required"),
        _("Revoking a link needs a reason."),
        _("Say why, so the customer and your colleagues understand what happened."),
    ),
    Code(
        "LNK-L003",
        VALIDATION,
        _("Nothing changed"),
        _("The new scope is the same as the link's current scope."),
        _("Change services, regions, access level or duration, or leave the link as it is."),
    ),
    Code(
        "LNK-L004",
        VALIDATION,
        _("Confirmation does not match"),
        _("Type the link reference {reference} to confirm."),
        _("Revoking stops access at once; type the reference exactly as shown to go ahead."),
    ),
    # --- batch files and batch rows ----------------------------------------------------------
    Code(
        "LNK-B001",
        VALIDATION,
        _("File too large"),
        _("The file is {size} bytes; at most {limit} bytes are accepted."),
        _("Split the file into several smaller ones and upload them one by one."),
    ),
    Code(
        "LNK-B002",
        VALIDATION,
        _("Not a CSV or XLSX file"),
        _("The file could not be read as a CSV or XLSX table: {detail}."),
        _(
            "Save the sheet as CSV (UTF-8, comma or semicolon separated) or XLSX and upload "
            "it again."
        ),
    ),
    Code(
        "LNK-B003",
        VALIDATION,
        _("Required column missing"),
        _("The file has no column {columns}."),
        _("The first line must name the columns; download the template to see them."),
    ),
    Code(
        "LNK-B004",
        VALIDATION,
        _("Too many rows"),
        _("The file has more than {limit} rows."),
        _("Split the file into several smaller ones and upload them one by one."),
    ),
    Code(
        "LNK-B005",
        VALIDATION,
        _("No rows"),
        _("The file has no data rows{detail}."),
        _("The first line names the columns, each following line is one row."),
    ),
    Code(
        "LNK-B006",
        VALIDATION,
        _("Unknown columns ignored"),
        _("The columns {columns} are not known and were ignored."),
        _("Check their spelling against the template if they were meant to be read."),
    ),
    Code(
        "LNK-B007",
        VALIDATION,
        _("Column named twice"),
        _("The column {column} appears more than once."),
        _("Keep one column of each name."),
    ),
    Code(
        "LNK-B010",
        VALIDATION,
        _("No idempotency key"),
        _("The row has no key."),
        _(
            "Give every row a key of its own (e.g. the ticket and the customer), at most "
            "{max_length} characters; it makes a second upload of the same row harmless."
        ),
    ),
    Code(
        "LNK-B011",
        VALIDATION,
        _("Key used twice in the file"),
        _("The key “{key}” is also used by row {other_row}."),
        _("Give each row its own key; only the first row with this key is run."),
    ),
    Code(
        "LNK-B012",
        VALIDATION,
        _("Same customer and type twice in the file"),
        _("Row {other_row} already asks for {link_type} for {account_id}."),
        _("Keep one row per customer and link type; a row can ask for several types."),
    ),
    Code(
        "LNK-B013",
        VALIDATION,
        _("Key already used"),
        _("The key “{key}” was already used for request {reference}."),
        _("Nothing is created twice. Use a new key only for a genuinely new request."),
    ),
    Code(
        "LNK-B014",
        VALIDATION,
        _("Unknown link type"),
        _("“{value}” is not a link type."),
        _("Use billing, provisioning or delegation, several separated by |."),
    ),
    Code(
        "LNK-B015",
        VALIDATION,
        _("Not a whole number"),
        _("{column} must be a whole number; “{value}” was given."),
        _("Write the number of days as digits only, e.g. 90."),
    ),
    Code(
        "LNK-B017",
        VALIDATION,
        _("Value too long"),
        _("{column} is longer than {max_length} characters."),
        _("Shorten it."),
    ),
    Code(
        "LNK-B020",
        VALIDATION,
        _("Batch not in that state"),
        _("Batch {reference} is {status}; it cannot be {action}."),
        _("Reload the batch page to see where it stands."),
    ),
    Code(
        "LNK-B021",
        VALIDATION,
        _("Nothing to run"),
        _("Batch {reference} has no row left to run."),
        _("Fix the refused rows in the file and upload it again; rows already done are skipped."),
    ),
    Code(
        "LNK-B022",
        VALIDATION,
        _("No file"),
        _("No file was uploaded."),
        _("Choose a CSV or XLSX file and upload it."),
    ),
    # --- customer directory import ---------------------------------------------------------
    Code(
        "LNK-D001",
        VALIDATION,
        _("Malformed account id"),
        _("“{value}” is not a valid customer account id."),
        _(
            "An account id is the customer's domain id: 32 hexadecimal characters (0-9, a-f); "
            "case, spaces and dashes do not matter."
        ),
    ),
    Code(
        "LNK-D002",
        VALIDATION,
        _("Account id twice in the file"),
        _("Account {account_id} is also on row {other_row}."),
        _("Keep one row per account."),
    ),
    Code(
        "LNK-D003",
        VALIDATION,
        _("Display name missing or too long"),
        _("The display name is empty or longer than {max_length} characters."),
        _("Give the account's name as the customer knows it."),
    ),
    Code(
        "LNK-D004",
        VALIDATION,
        _("Invalid contact e-mail"),
        _("“{value}” is not a valid e-mail address."),
        _("Give one address, e.g. it@customer.example, or leave it empty."),
    ),
    Code(
        "LNK-D005",
        VALIDATION,
        _("Unknown value"),
        _("{column} “{value}” is not one of {choices}."),
        _("Use one of the listed values."),
    ),
    Code(
        "LNK-D006",
        VALIDATION,
        _("Unknown region"),
        _("Region {value} is not in the catalog of the {site} site."),
        _("Use region codes of the account's site, several separated by |."),
    ),
    Code(
        "LNK-D007",
        VALIDATION,
        _("Not yes or no"),
        _("{column} must be yes or no; “{value}” was given."),
        _("Write yes/no, true/false or 1/0."),
    ),
    Code(
        "LNK-D008",
        VALIDATION,
        _("Import not in that state"),
        _("Import {reference} is {status}; it cannot be {action}."),
        _("Reload the import page to see where it stands."),
    ),
    Code(
        "LNK-D009",
        VALIDATION,
        _("Site cannot change"),
        _("Account {account_id} is on the {current} site; the file says {value}."),
        _("An account never moves between sites; correct the file."),
    ),
    Code(
        "LNK-D010",
        VALIDATION,
        _("Malformed account name"),
        _("“{value}” is not a valid account name."),
        _(
            "An account name is the name the customer signs in with: up to 64 letters, digits, "
            "“-”, “_” or “.”; leave the cell empty when it is not known."
        ),
    ),
    Code(
        "LNK-D011",
        VALIDATION,
        _("Account name twice in the file"),
        _("Account name {account_name} is also on row {other_row}."),
        _("Two accounts never share a name; keep it on the row of the right account id."),
    ),
    Code(
        "LNK-D012",
        VALIDATION,
        _("Account name taken"),
        _("Account name {account_name} belongs to account {account_id} in the directory."),
        _("Two accounts never share a name; check the id and the name with the cloud."),
    ),
    # --- presets ---------------------------------------------------------------------------
    Code(
        "LNK-T001",
        VALIDATION,
        _("Unknown preset"),
        _("{reseller} has no preset named “{name}”."),
        _(
            "Check the name on the presets page (case does not matter), or ask an admin of your "
            "reseller to create it."
        ),
    ),
    Code(
        "LNK-T002",
        VALIDATION,
        _("Preset name taken"),
        _("A preset named “{name}” already exists."),
        _("Choose another name, or edit the existing preset."),
    ),
    Code(
        "LNK-T003",
        VALIDATION,
        _("Missing admin role"),
        _("Only admins of {reseller} can create, change or delete presets."),
        _("Ask an admin of your reseller; every member can use the presets."),
    ),
    Code(
        "LNK-T004",
        VALIDATION,
        _("Preset name missing"),
        _("A preset needs a name."),
        _("Give it a short name your colleagues will recognise, such as “Read-only APAC”."),
    ),
    # --- members -------------------------------------------------------------------------
    Code(
        "ACC-M001",
        VALIDATION,
        _("No such user"),
        _("No portal user has the e-mail address {email}."),
        _("Ask platform staff to create the user first, then add them here."),
    ),
    Code(
        "ACC-M002",
        VALIDATION,
        _("Already a member"),
        _("{email} is already a member of {reseller}."),
        _("Change their role in the member list instead."),
    ),
    Code(
        "ACC-M003",
        VALIDATION,
        _("Last admin"),
        _("{email} is the last admin of {reseller}."),
        _("Make another member admin first, then change or remove this one."),
    ),
    Code(
        "ACC-M004",
        VALIDATION,
        _("Missing admin role"),
        _("Only admins of {reseller} can manage members."),
        _("Ask an admin of your reseller."),
    ),
    # --- invitations: a reseller's admin invites a person by e-mail ---------------------------
    Code(
        "ACC-I001",
        VALIDATION,
        "Invitation link not valid",
        "This invitation link is not valid: it was mistyped, or a newer invitation e-mail "
        "replaced it.",
        "Open the link in the most recent invitation e-mail, or ask the admin who invited you "
        "to send it again.",
    ),
    Code(
        "ACC-I002",
        VALIDATION,
        "Invitation expired",
        "This invitation to {reseller} expired on {when}.",
        "Ask an admin of {reseller} to send the invitation again; the new e-mail has a fresh link.",
    ),
    Code(
        "ACC-I003",
        VALIDATION,
        "Invitation revoked",
        "This invitation to {reseller} was withdrawn by its admins.",
        "If you expected to join, ask an admin of {reseller}.",
    ),
    Code(
        "ACC-I004",
        VALIDATION,
        "Invitation already used",
        "This invitation to {reseller} was already accepted; a link works once.",
        "Log in with your e-mail address and password. If you did not accept it, tell an admin "
        "of {reseller} at once.",
    ),
    Code(
        "ACC-I005",
        VALIDATION,
        "Signed in as someone else",
        "This invitation is for another e-mail address than the one you are signed in with "
        "({email}).",
        "Log out, then open the link again and sign in as the invited person.",
    ),
    Code(
        "ACC-I006",
        VALIDATION,
        "Already invited",
        "{email} already has a pending invitation to {reseller}.",
        "Resend or revoke that invitation in the list of pending invitations.",
    ),
    Code(
        "ACC-I007",
        VALIDATION,
        "Invitation no longer pending",
        "The invitation of {email} is {status}; it cannot be changed any more.",
        "Invite the person again if they should still join.",
    ),
    Code(
        "ACC-I008",
        VALIDATION,
        "Account needs an e-mail sign-in",
        "A portal account with the address {email} already exists.",
        "Log in with it to accept the invitation, or reset its password with “Forgot your "
        "password?” on the login page.",
    ),
    # --- sessions ---------------------------------------------------------------------------
    Code(
        "ACC-X001",
        VALIDATION,
        "Signed out after inactivity",
        "You were signed out after {minutes:minute} without activity.",
        "Log in again; then you continue where you were.",
    ),
    Code(
        "ACC-X002",
        VALIDATION,
        "Session not found",
        "That session has ended already or is not yours.",
        "Reload the list of your sessions.",
    ),
    # --- teams: named groups of members that a link's access can go to ---------------------
    Code(
        "ACC-T001",
        VALIDATION,
        "Team name taken",
        "{reseller} already has a team named {name}.",
        "Choose another name, or add the people to the team that exists.",
    ),
    Code(
        "ACC-T002",
        VALIDATION,
        "Not a member",
        "{email} is not a member of {reseller}, so they cannot join one of its teams.",
        "Add them as a member on the members page first.",
    ),
    Code(
        "ACC-T003",
        VALIDATION,
        "Already in the team",
        "{email} is already in the team {team}.",
        "Nothing to do; the member list of the team shows who is in it.",
    ),
    Code(
        "ACC-T004",
        VALIDATION,
        "Team in use",
        "The team {team} still has access to {count} live link(s) or open request(s).",
        "Change the teams of those links or requests first (a change of scope), then delete it.",
    ),
    Code(
        "ACC-T005",
        VALIDATION,
        "No such team",
        "{reseller} has no team {team}.",
        "Choose one of the teams on the teams page, or none for the operators.",
    ),
    Code(
        "ACC-T006",
        VALIDATION,
        "Not in the team",
        "{email} is not in the team {team}.",
        "Nothing to do; reload the team's page to see who is in it.",
    ),
    Code(
        "ACC-T007",
        VERIFICATION,
        "Access outside the link's teams",
        "{holders} hold(s) the access of link {reference} on the customer, but the link names "
        "only {teams}.",
        "Verify the link again: the portal puts its grants back on the link's teams; if this "
        "stays, tell platform staff.",
    ),
    # --- governance: the settings the reseller's admins own ----------------------------------
    Code(
        "ACC-G001",
        VALIDATION,
        _("Missing admin role"),
        _("Only admins of {reseller} can change its settings."),
        _("Ask an admin of your reseller; you can read the settings meanwhile."),
    ),
    Code(
        "ACC-G002",
        VALIDATION,
        _("Setting out of range"),
        _("{setting} must be between {low} and {high}; {value} is not."),
        _("Choose a value within the range shown beside the setting."),
    ),
    Code(
        "ACC-G003",
        VALIDATION,
        _("Reminder schedule not understood"),
        _("{setting}: {why}"),
        _(
            "Write the times comma-separated, as a share of the window (50%) or a time before the "
            "deadline (1d, 4h); leave it empty for no reminders."
        ),
    ),
    Code(
        "ACC-G004",
        VALIDATION,
        _("Reason missing"),
        _("A change of the settings needs a reason."),
        _("Say in a sentence why: your colleagues read it in the e-mail and the activity log."),
    ),
    Code(
        "ACC-G005",
        VALIDATION,
        _("Nothing changed"),
        _("The settings you sent are the ones already in force."),
        _("Change at least one value, or leave the page."),
    ),
    Code(
        "ACC-G006",
        VALIDATION,
        _("Unknown approval policy"),
        _("{value} is not an approval policy."),
        _("Choose one of the policies listed."),
    ),
    # --- security: lockout, rate limits, step-up -------------------------------------------
    Code(
        "ACC-S001",
        VALIDATION,
        _("Too many failed logins"),
        _(
            "Logging in is paused for this user name from your address after {limit:failed "
            "attempt}."
        ),
        _(
            "Wait {minutes:minute}, then try again. If you have forgotten your password, reset "
            "it meanwhile with “Forgot your password?”. If you did not make these attempts, tell "
            "your reseller's admin."
        ),
    ),
    Code(
        "ACC-S002",
        CONSENT,
        _("Too many requests"),
        _("This page was opened too often in a short time."),
        _(
            "Wait a few minutes, then open the link from your e-mail again. Nothing you already "
            "decided is lost."
        ),
    ),
    Code(
        "ACC-S003",
        VALIDATION,
        _("Password confirmation needed"),
        _(
            "This action needs your password again: you last entered it more than "
            "{minutes:minute} ago."
        ),
        _("Enter your password to go on; what you asked for is kept and then carried out."),
    ),
    Code(
        "ACC-S004",
        VALIDATION,
        _("Wrong password"),
        _("The password is not correct."),
        _(
            "Type the password you log in with. After {limit:wrong attempt} logging in is paused "
            "for {minutes:minute}."
        ),
    ),
    # --- single sign-on: a reseller's identity provider (OpenID Connect) ---------------------
    Code(
        "ACC-O001",
        VALIDATION,
        "No single sign-on for this address",
        "No reseller signs in addresses at {domain} through its own identity provider.",
        "Check the address, or log in with your password. Your reseller's admin sets up single "
        "sign-on under Settings → Single sign-on.",
    ),
    Code(
        "ACC-O002",
        VALIDATION,
        "Identity provider unreachable",
        "The identity provider {issuer} could not be used: {why}.",
        "Check the issuer URL (the provider's discovery document is at "
        "/.well-known/openid-configuration under it) and try again in a moment.",
    ),
    Code(
        "ACC-O003",
        VALIDATION,
        "Wrong issuer",
        "The identity provider presents itself as {got}, not as the issuer {expected} the "
        "portal was given.",
        "Ask your reseller's admin to copy the issuer URL exactly as the provider publishes it "
        "(its discovery document's “issuer”).",
    ),
    Code(
        "ACC-O004",
        VALIDATION,
        "Sign-in token not valid",
        "The identity provider's answer could not be trusted: {why}.",
        "Start the sign-in again. If it happens again, tell your reseller's admin the error "
        "code and the time: the provider's keys or the client id may have changed.",
    ),
    Code(
        "ACC-O005",
        VALIDATION,
        "Address outside the reseller’s domains",
        "The identity provider signed in {email}, an address outside the e-mail domains of "
        "{reseller}.",
        "Sign in at the provider with your address at your company, or ask your reseller's "
        "admin to add the domain to the single sign-on settings.",
    ),
    Code(
        "ACC-O006",
        VALIDATION,
        "E-mail address not verified",
        "The identity provider has not verified the e-mail address {email}.",
        "Verify your address with your company's identity provider (or ask its "
        "administrator), then sign in again.",
    ),
    Code(
        "ACC-O007",
        VALIDATION,
        "Not a member",
        "{email} is not an active member of {reseller}.",
        "Ask an admin of {reseller} to add you as a member (or to invite you), then sign in again.",
    ),
    Code(
        "ACC-O008",
        VALIDATION,
        "Sign-in refused by the identity provider",
        "Your company's identity provider did not sign you in ({error}).",
        "Your account there may be disabled or not allowed to use the portal: ask your "
        "company's administrator. You can start the sign-in again.",
    ),
    Code(
        "ACC-O009",
        VALIDATION,
        "Sign-in expired",
        "This sign-in was not started in this browser, was already used, or took too long.",
        "Start the sign-in again from the login page, in one browser window.",
    ),
    Code(
        "ACC-O010",
        VALIDATION,
        "Single sign-on required",
        "{reseller} requires its members to sign in through the company's identity provider; "
        "passwords are not accepted.",
        "Use “Sign in with your company” on the login page and enter your work e-mail address.",
    ),
    Code(
        "ACC-O011",
        VALIDATION,
        "Domain used by another reseller",
        "The e-mail domain {domain} already signs in through another reseller's provider.",
        "Remove it from the list. If your company owns it, ask platform support.",
    ),
    Code(
        "ACC-O012",
        VALIDATION,
        "Missing admin role",
        "Only admins of {reseller} can change its single sign-on.",
        "Ask an admin of your reseller.",
    ),
    Code(
        "ACC-O013",
        VALIDATION,
        "Client secret missing",
        "A new identity provider needs its client secret.",
        "Paste the client secret the provider gave the portal's client; it is stored encrypted "
        "and never shown again.",
    ),
    Code(
        "ACC-O014",
        VALIDATION,
        "Not an e-mail domain",
        "“{domain}” is not an e-mail domain.",
        "Write domains such as example.com, one per line or comma-separated; at least one.",
    ),
    # --- second factors: authenticator apps, passkeys and security keys, recovery codes -----
    Code(
        "ACC-F001",
        VALIDATION,
        "Second factor needed",
        "Your role requires signing in with a second factor, and you have none yet.",
        "Add an authenticator app or a passkey on this page; you reach the portal once one is "
        "set up. Keep the recovery codes shown then somewhere safe.",
    ),
    Code(
        "ACC-F002",
        VALIDATION,
        "Wrong code",
        "The code is not right, was already used, or came too soon after a wrong one.",
        "Type the code your authenticator app shows now (or an unused recovery code); after a "
        "wrong code wait a few seconds. After {limit:wrong attempt} signing in is paused for "
        "{minutes:minute}.",
    ),
    Code(
        "ACC-F003",
        APPROVAL,
        "Second factor needed to approve",
        "Approving needs a second factor (an authenticator app or a passkey), and you have none.",
        "Add one on your sign-in security page, then approve again.",
    ),
    Code(
        "ACC-F004",
        VALIDATION,
        "Last second factor",
        "This is your last second factor, and your role requires one.",
        "Add another authenticator app or passkey first, then remove this one.",
    ),
    Code(
        "ACC-F005",
        VALIDATION,
        "Code from the new app not right",
        "The code does not match the key shown; the authenticator app was not added.",
        "Scan the code again (or type the key), check that the phone's clock is right, and type "
        "the 6 digits the app shows now.",
    ),
    Code(
        "ACC-F006",
        VALIDATION,
        "No such second factor",
        "This second factor does not exist any more.",
        "Reload your sign-in security page.",
    ),
    Code(
        "ACC-F007",
        VALIDATION,
        "Not an admin",
        "Only an admin of {reseller} may reset a member's second factors.",
        "Ask an admin of your reseller.",
    ),
    Code(
        "ACC-F008",
        VALIDATION,
        "Not for your own factors",
        "Admins reset other members' second factors, not their own.",
        "Change your own factors on your sign-in security page, or ask another admin.",
    ),
    Code(
        "ACC-F009",
        VALIDATION,
        "Passkey not accepted",
        "The passkey or security key could not be verified.",
        "Try again with a passkey or key added to your account, or type a code instead. Failed "
        "attempts count toward the sign-in pause.",
    ),
    # --- customer centre: the customer's sign-in with a code e-mailed to the contact address --
    Code(
        "CUS-S001",
        CONSENT,
        _("Too many sign-in codes"),
        _(
            "Too many sign-in codes were asked for this address or from your network in a short "
            "time; no new code was sent."
        ),
        _("Use the code in the most recent e-mail, or wait {minutes:minute} and ask again."),
    ),
    Code(
        "CUS-S002",
        CONSENT,
        _("Code not accepted"),
        _("This code is wrong, has expired (codes last 10 minutes) or was used already."),
        _(
            "Type the six digits of the most recent e-mail, or ask for a new code. After "
            "{limit:wrong attempt} signing in is paused for {minutes:minute}."
        ),
    ),
    Code(
        "CUS-S003",
        CONSENT,
        _("Too many wrong codes"),
        _("Signing in is paused for this address from your network after {limit:wrong attempt}."),
        _(
            "Wait {minutes:minute}, then ask for a new code. If you did not make these attempts, "
            "nothing was shown to anybody: your accounts are safe."
        ),
    ),
    Code(
        "CUS-S004",
        CONSENT,
        _("Signed out"),
        _(
            "You are not signed in to the customer centre, or you were signed out after "
            "{minutes:minute} without activity."
        ),
        _("Enter your contact e-mail address to get a new sign-in code."),
    ),
    # --- consent and withdrawal links: a code e-mailed to the contact address confirms ---------
    Code(
        "CUS-C001",
        CONSENT,
        "Confirm with a code",
        "Holding the e-mailed link is not enough for this decision: accepting manage access or "
        "a sensitive service, or withdrawing a link, needs a code sent to the account's "
        "contact address now.",
        "Press “Send me a code”, then type the six digits of the e-mail. Your choices stay "
        "on the page.",
    ),
    Code(
        "CUS-C002",
        CONSENT,
        "Code not accepted",
        "This code is wrong, has expired (codes last 10 minutes) or was used already. "
        "Nothing was decided.",
        "Type the six digits of the most recent e-mail, or ask for a new code; your choices "
        "stay on the page. After {limit:wrong attempt} codes are refused for {minutes:minute}.",
    ),
    Code(
        "CUS-C003",
        CONSENT,
        "Too many wrong codes",
        "Codes are refused for this address from your network after {limit:wrong attempt}. "
        "Nothing was decided.",
        "Wait {minutes:minute}, then ask for a new code. If you did not make these attempts, "
        "nothing was decided for you.",
    ),
    Code(
        "CUS-C004",
        CONSENT,
        "Too many codes asked",
        "Too many codes were asked for this address or from your network in a short time; no "
        "new code was sent.",
        "Use the code in the most recent e-mail, or wait {minutes:minute} and ask again.",
    ),
    # --- webhook: the reseller's endpoints and their deliveries ------------------------------
    Code(
        "WHK-U001",
        WEBHOOK,
        _("Webhook address refused"),
        _("{url} is not an address events can be sent to: {why}."),
        _(
            "Enter the full address of your receiver, like https://hooks.example.com/portal, "
            "without a user name or password in it."
        ),
    ),
    Code(
        "WHK-U002",
        WEBHOOK,
        _("Webhook address not public"),
        _(
            "{host} leads to {address}, which is not a public internet address (loopback, "
            "private, link-local, multicast, reserved or a cloud metadata address); nothing is "
            "sent there."
        ),
        _(
            "Give an address your receiver answers at on the public internet. If it lives on your "
            "own network, ask the portal's operator to allow that network."
        ),
    ),
    Code(
        "WHK-U003",
        WEBHOOK,
        _("Webhook host not found"),
        _("The name {host} could not be resolved to an address."),
        _("Check the spelling of the host name and that its DNS record exists, then try again."),
    ),
    Code(
        "WHK-U004",
        WEBHOOK,
        _("HTTPS required"),
        _(
            "{url} uses plain HTTP; events are sent over HTTPS only, so nobody on the way can read "
            "them."
        ),
        _(
            "Serve your receiver over HTTPS with a valid certificate and enter its https:// "
            "address."
        ),
    ),
    Code(
        "WHK-E001",
        WEBHOOK,
        _("Webhook endpoint disabled"),
        _("The endpoint {url} is disabled; nothing is sent to it."),
        _("Enable the endpoint first, then redeliver the event."),
    ),
    Code(
        "WHK-E002",
        WEBHOOK,
        _("No event chosen"),
        _("An endpoint receives at least one kind of event."),
        _("Tick the events your system needs."),
    ),
    Code(
        "WHK-P001",
        WEBHOOK,
        _("Not an admin of this reseller"),
        _("Only the admins of {reseller} manage its webhook endpoints."),
        _("Ask one of its admins to make the change, or to give you the admin role."),
    ),
    # --- the API: keys, idempotency, rate limits, request bodies ---------------------------
    Code(
        "API-K001",
        PAGE,
        _("API key missing or not valid"),
        _("The request carries no API key, or one the portal does not know."),
        _(
            "Send the key as `Authorization: Bearer <key>`, exactly as it was shown when it was "
            "made. A lost key cannot be shown again: an admin of your reseller makes a new one on "
            "the API keys page."
        ),
    ),
    Code(
        "API-K002",
        PAGE,
        _("API key revoked"),
        _("The API key {prefix} was revoked on {when}."),
        _("Ask an admin of your reseller for a new key on the API keys page."),
    ),
    Code(
        "API-K003",
        PAGE,
        _("API key expired"),
        _("The API key {prefix} expired on {when}."),
        _("Ask an admin of your reseller for a new key on the API keys page."),
    ),
    Code(
        "API-K004",
        PAGE,
        _("Address not allowed for this key"),
        _(
            "The API key {prefix} may be used only from its allowed addresses, and {address} is "
            "not one of them."
        ),
        _(
            "Call from an allowed address, or ask an admin of your reseller to add this one to a "
            "new key."
        ),
    ),
    Code(
        "API-K005",
        PAGE,
        _("Key holder no longer a member"),
        _(
            "The person who made the API key {prefix} no longer works for {reseller} in a role "
            "that can use it."
        ),
        _(
            "Keys act for the admin who made them: ask a current admin of your reseller for "
            "a new key."
        ),
    ),
    Code(
        "API-K006",
        VALIDATION,
        _("Not a valid list of addresses"),
        _("“{value}” is not an IP address or network."),
        _(
            "Write one address or network per line or separated by commas, e.g. 203.0.113.7 or "
            "198.51.100.0/24."
        ),
    ),
    Code(
        "API-K007",
        VALIDATION,
        _("Expiry in the past"),
        _("A key cannot expire before it is made ({when})."),
        _(
            "Choose a date after today, or leave the expiry empty for a key that lasts until it "
            "is revoked."
        ),
    ),
    Code(
        "API-K008",
        PAGE,
        _("Key role does not allow this"),
        _("The API key {prefix} has the role {role}, which does not allow this call."),
        _(
            "Use a key with the role the call needs (initiator to start and send requests, "
            "approver to decide them), or ask an admin of your reseller for one."
        ),
    ),
    Code(
        "API-I001",
        PAGE,
        _("Idempotency key reused with another request"),
        _("The Idempotency-Key {key} was used before, within 24 hours, for a different request."),
        _(
            "Send a new Idempotency-Key for a new request; repeat a key only to retry exactly the "
            "same call (same address and body)."
        ),
    ),
    Code(
        "API-I002",
        PAGE,
        _("Idempotency key not usable"),
        _("The Idempotency-Key header must be 1 to {limit} visible ASCII characters."),
        _("Send a random value, e.g. a UUID, once per operation you want done once."),
    ),
    Code(
        "API-R001",
        PAGE,
        _("Too many API calls"),
        _("The API key {prefix} made more than {limit} calls in a minute."),
        _("Wait {seconds} seconds (the Retry-After header says so too), then go on more slowly."),
    ),
    Code(
        "API-V001",
        VALIDATION,
        _("Request body or parameters not valid"),
        _("{count} field(s) of the request are not valid: each is listed in errors."),
        _(
            "Correct the fields named in errors (the schema at /api/v1/schema/ describes each), "
            "then send the call again."
        ),
    ),
    # --- page: the error pages any address can answer ---------------------------------------
    Code(
        "PRT-P001",
        PAGE,
        _("Bad request"),
        _("The portal could not understand this request."),
        _(
            "Go back, reload the page and try again. If it happens again, tell platform support "
            "the error code and the time."
        ),
    ),
    Code(
        "PRT-P002",
        PAGE,
        _("Character that cannot be stored"),
        _("The address or a field holds a character the portal cannot store ({where})."),
        _(
            "Remove invisible or control characters (often pasted along with a value) and try "
            "again; type the value by hand if you cannot see them."
        ),
    ),
    Code(
        "PRT-P003",
        PAGE,
        _("Not allowed"),
        _("Your role does not allow this page or action."),
        _("Ask an admin of your reseller for the role you need, or go back to the dashboard."),
    ),
    Code(
        "PRT-P004",
        PAGE,
        _("Not found"),
        _("There is nothing at this address, or it is not yours to see."),
        _("Check the address, or start again from the dashboard."),
    ),
    Code(
        "PRT-P005",
        PAGE,
        _("Something went wrong"),
        _("The portal failed to answer; the error has been logged."),
        _(
            "Try again in a moment. Nothing is recorded twice if you repeat the action. If it "
            "keeps happening, tell platform support the error code and the time."
        ),
    ),
    Code(
        "PRT-P006",
        PAGE,
        _("Form expired"),
        _(
            "The form was sent without the security cookie it was opened with (the page is old, "
            "or cookies were cleared or blocked); nothing was recorded."
        ),
        _(
            "Reload the page, then send the form again. If it happens again, allow cookies for "
            "this site."
        ),
    ),
    Code(
        "PRT-P007",
        CONSENT,
        _("Consent page expired"),
        _(
            "Your answer was sent without the security cookie this page was opened with; nothing "
            "was recorded."
        ),
        _(
            "Reload this page from the link in your e-mail, then decide again. If it happens "
            "again, allow cookies for this site."
        ),
    ),
    Code(
        "PRT-P008",
        PAGE,
        _("Not a way to use this address"),
        _("This address does not answer {request_kind}; nothing was recorded."),
        _(
            "Use the buttons and forms of the portal's pages rather than the address itself; to "
            "see the page, open its address in the browser."
        ),
    ),
]

CODES: dict[str, Code] = {entry.code: entry for entry in _ENTRIES}


def codes_by_stage() -> list[tuple[str, list[Code]]]:
    return [(stage, [c for c in _ENTRIES if c.stage == stage]) for stage in STAGES]
