"""The catalogue of every error code the portal shows: the code, its stage, cause and fix.

The checks, the services and the help page all read this one table, so a code means the same
thing everywhere it appears.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import ngettext

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
    # The help page shows the words in braces: "{minutes} minutes", not "{minutes:minute}".
    return _UNIT_FIELD.sub(lambda m: "{" + m.group(1) + "} " + m.group(2) + "s", text)


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
        "Malformed account id",
        "“{account_id}” is not a valid customer account id.",
        "An account id is the customer's domain id: 32 hexadecimal characters (0-9, a-f); "
        "case, spaces and dashes do not matter. Copy it from My Credentials in the customer's "
        "console.",
    ),
    Code(
        "LNK-V002",
        VALIDATION,
        "Account not in the directory",
        "No customer account {account_id} exists in the directory.",
        "Check the id with the customer. New accounts appear in the directory within a day "
        "of registration; contact platform support if it is still missing.",
    ),
    Code(
        "LNK-V003",
        VALIDATION,
        "Account frozen",
        "Customer account {account_id} is frozen — {provenance}.",
        "The customer must resolve the freeze with the platform before it can be linked.",
    ),
    Code(
        "LNK-V004",
        VALIDATION,
        "Account in arrears",
        "Customer account {account_id} is in arrears — {provenance}.",
        "The customer must settle the outstanding balance before it can be linked.",
    ),
    Code(
        "LNK-V005",
        VALIDATION,
        "Account deregistered",
        "Customer account {account_id} has been deregistered — {provenance}.",
        "A deregistered account cannot be linked. Ask the customer for their current account.",
    ),
    Code(
        "LNK-V006",
        VALIDATION,
        "Account on the other site",
        "Customer account {account_id} belongs to the {account_site} site; your program is on "
        "the {reseller_site} site.",
        "Accounts can only be linked within one site. Use the partner program of that site.",
    ),
    Code(
        "LNK-V007",
        VALIDATION,
        "Account is a partner",
        "Customer account {account_id} is itself a partner account.",
        "Partner accounts cannot be linked as customers. Link the partner's customer accounts "
        "instead.",
    ),
    Code(
        "LNK-V008",
        VALIDATION,
        "Another billing partner",
        "Customer account {account_id} already has another billing partner.",
        "A customer has one billing partner at a time. The customer must end the current "
        "billing association first; you can still request provisioning or delegation.",
    ),
    Code(
        "LNK-V009",
        VALIDATION,
        "Link type not in your program",
        "Your partner program does not allow {link_type} links.",
        "Choose another link type, or ask platform staff to extend your program.",
    ),
    Code(
        "LNK-V010",
        VALIDATION,
        "Region not enabled",
        "Region {region} is not enabled for customer account {account_id}.",
        "Remove the region from the scope, or ask the customer to enable it first.",
    ),
    Code(
        "LNK-V011",
        VALIDATION,
        "Link already exists",
        "You already have an active {link_type} link with customer account {account_id}.",
        "Open the existing link and amend its scope instead of requesting a new one.",
    ),
    Code(
        "LNK-V012",
        VALIDATION,
        "Request already open",
        "Request {reference} for a {link_type} link with customer account {account_id} is "
        "still open.",
        "Open that request and follow it up, or cancel it before starting a new one.",
    ),
    Code(
        "LNK-V013",
        VALIDATION,
        "Missing role",
        "Your role in {reseller} does not allow this action.",
        "Ask an admin of your reseller to give you the {role} role.",
    ),
    Code(
        "LNK-V014",
        VALIDATION,
        "No link type chosen",
        "Choose at least one link type.",
        "Tick billing, provisioning or delegation in step 1.",
    ),
    Code(
        "LNK-V015",
        VALIDATION,
        "No services in scope",
        "The {link_type} item has no services, or names a service that is not offered.",
        "Pick one or more services from the list in step 3.",
    ),
    Code(
        "LNK-V016",
        VALIDATION,
        "No regions in scope",
        "The {link_type} item has no regions, or names a region that does not exist.",
        "Pick one or more regions from the list in step 3.",
    ),
    Code(
        "LNK-V017",
        VALIDATION,
        "Delegation duration out of range",
        "A delegation lasts from 1 to 730 days; {days} was given.",
        "Choose a duration between 1 day and 2 years.",
    ),
    Code(
        "LNK-V018",
        VALIDATION,
        "Unknown access level",
        "“{level}” is not an access level.",
        "Choose read-only or manage.",
    ),
    Code(
        "LNK-V019",
        VALIDATION,
        "Reseller not active",
        "Your reseller account {reseller} is {status}.",
        "New requests are blocked until platform staff reactivate your program.",
    ),
    Code(
        "LNK-V020",
        VALIDATION,
        "No consent contact",
        "Customer account {account_id} has no contact e-mail for consent.",
        "Ask platform support to record the customer's contact address in the directory.",
    ),
    Code(
        "LNK-V021",
        VALIDATION,
        "No customer chosen",
        "The request names no customer account yet.",
        "Enter the customer's account id in step 2.",
    ),
    Code(
        "LNK-V022",
        VALIDATION,
        "Consent deadline out of range",
        "The consent deadline must be between 1 day and {max_days:day}; {days} was given.",
        "Choose a shorter deadline.",
    ),
    Code(
        "LNK-V023",
        VALIDATION,
        "Malformed account name",
        "“{account_name}” is not a valid customer account name.",
        "An account name is the name the customer signs in with: up to 64 letters, digits, "
        "“-”, “_” or “.”, e.g. contoso-ops.",
    ),
    Code(
        "LNK-V024",
        VALIDATION,
        "No account with that name",
        "No customer account named {account_name} exists in the directory.",
        "Check the name with the customer, or give the account id instead: names of accounts "
        "imported without one are not known to the portal.",
    ),
    Code(
        "LNK-V025",
        VALIDATION,
        "Account id and name disagree",
        "Account {account_id} is not named {account_name}.",
        "Give the id and the name of the same account, or only one of them.",
    ),
    # --- state of a request ----------------------------------------------------------------
    Code(
        "LNK-S001",
        VALIDATION,
        "Action not possible in this state",
        "Request {reference} is {status}; it cannot be {action}.",
        "Reload the request to see its current state and what it is waiting on.",
    ),
    Code(
        "LNK-S002",
        VALIDATION,
        "Not your draft",
        "Only the initiator of request {reference} can change the draft.",
        "Ask the initiator to finish it, or start a request of your own.",
    ),
    # --- approval ------------------------------------------------------------------------
    Code(
        "LNK-A001",
        APPROVAL,
        "Maker-checker",
        "You started request {reference}, so you cannot approve or reject it.",
        "Another approver of your reseller must decide it.",
    ),
    Code(
        "LNK-A002",
        APPROVAL,
        "Missing approver role",
        "Your role in {reseller} does not allow approving requests.",
        "Ask an admin of your reseller for the approver role.",
    ),
    Code(
        "LNK-A003",
        APPROVAL,
        "Reason required",
        "A rejection needs a reason.",
        "Say why, so the initiator knows what to fix.",
    ),
    Code(
        "LNK-A004",
        APPROVAL,
        "Nobody else can approve",
        "Nobody else can approve this request: the approval policy of {reseller} needs a "
        "second person, and {situation}.",
        "Ask an admin of {reseller} to give another member the approver role, then submit "
        "again. A request waiting for approval would otherwise expire unseen.",
    ),
    Code(
        "LNK-A005",
        APPROVAL,
        "Reason not accepted",
        "The reason was not accepted ({problem}), so nothing was changed.",
        "Correct the reason (at most 2000 characters) and try again.",
    ),
    # --- consent -------------------------------------------------------------------------
    Code(
        "LNK-C001",
        CONSENT,
        "Unknown link",
        "This consent link is not valid.",
        "Open the link exactly as it appears in the most recent e-mail, or ask your partner "
        "to send a new one.",
    ),
    Code(
        "LNK-C002",
        CONSENT,
        "Link expired",
        "This consent link has expired.",
        "Ask your partner to send a new request if you still want to proceed.",
    ),
    Code(
        "LNK-C003",
        CONSENT,
        "Link already used",
        "This consent link has already been used or replaced by a newer one.",
        "Use the link in the most recent e-mail. Your earlier decision is final; your partner "
        "can send a new request.",
    ),
    Code(
        "LNK-C004",
        CONSENT,
        "Request withdrawn",
        "This request was withdrawn by the partner.",
        "There is nothing to do. Contact your partner if you expected it.",
    ),
    Code(
        "LNK-C005",
        CONSENT,
        "Confirmation does not match",
        "The account id typed to confirm does not match this account.",
        "Type your account id exactly as shown on this page to grant manage access to "
        "sensitive services.",
    ),
    Code(
        "LNK-C006",
        CONSENT,
        "Decision missing",
        "Decide every item: accept or decline each one.",
        "Choose accept or decline for each item, then confirm.",
    ),
    Code(
        "LNK-C007",
        CONSENT,
        "Consent e-mail refused",
        "The consent e-mail to {email} was refused by the receiving mail server.",
        "Check the address with the customer. Once the directory holds the right address, "
        "resend the consent e-mail from the request page.",
    ),
    Code(
        "LNK-C008",
        CONSENT,
        "Decision already recorded",
        "This request was already decided, and the decision was recorded; this page records "
        "nothing more.",
        "Your receipt was e-mailed to the account's contact address when the decision was "
        "made. To change your mind, ask your partner: they can send a new request, or you can "
        "withdraw a delegation from the link in its e-mail.",
    ),
    # --- resend and reminders -------------------------------------------------------------
    Code(
        "LNK-R001",
        CONSENT,
        "Resent too recently",
        "The consent e-mail of {reference} was sent less than {minutes:minute} ago.",
        "The next resend is possible at {next_at}. Give the customer a moment to find it.",
    ),
    Code(
        "LNK-R002",
        CONSENT,
        "Resend limit reached",
        "The consent e-mail of {reference} has been resent {count:time}, the most allowed.",
        "Contact the customer directly, or cancel this request and start a new one.",
    ),
    Code(
        "LNK-R003",
        CONSENT,
        "Address not in the directory",
        "{email} is not the contact address of account {account_id} in the directory.",
        "Consent e-mails only go to the directory's contact address. Ask platform staff to "
        "correct the directory first, then resend.",
    ),
    Code(
        "LNK-R004",
        CONSENT,
        "Deadline beyond the maximum",
        "The consent deadline can be extended to {max_date} at the latest.",
        "Choose fewer days: a customer gets at most {max_days:day} in all to decide.",
    ),
    # --- activation ----------------------------------------------------------------------
    Code(
        "LNK-P001",
        ACTIVATION,
        "Account no longer active",
        "Customer account {account_id} became {status} before the link was activated.",
        "The link stays pending until the account is active again; contact the customer.",
    ),
    Code(
        "LNK-P002",
        ACTIVATION,
        "Billing partner changed",
        "Customer account {account_id} got another billing partner before activation.",
        "The billing item cannot be activated. Contact the customer.",
    ),
    Code(
        "LNK-P003",
        ACTIVATION,
        "Partner program not active",
        "The partner program of {reseller} is {status}: nothing can be linked or granted.",
        "Nothing was granted. Platform staff decide when the program is active again; then "
        "the partner sends a new request, and suspended links are resumed by platform staff.",
    ),
    Code(
        "LNK-P004",
        ACTIVATION,
        "Link type no longer in the program",
        "The partner program of {reseller} no longer allows {link_type} links.",
        "Nothing was granted for it. The partner can ask platform staff to extend its program, "
        "then send a new request.",
    ),
    # --- verification --------------------------------------------------------------------
    Code(
        "LNK-Y001",
        VERIFICATION,
        "Link not active",
        "The link is {status}, not active.",
        "Wait for activation to finish; if it stays so, open the request to see what it waits on.",
    ),
    Code(
        "LNK-Y002",
        VERIFICATION,
        "Customer scope not visible",
        "Your users cannot see customer account {account_id}.",
        "Re-run the verification in a few minutes; grants can take a moment to propagate. If it "
        "keeps failing, contact platform support with the link reference.",
    ),
    Code(
        "LNK-Y003",
        VERIFICATION,
        "Granted scope incomplete",
        "Part of the granted scope is missing: {missing}.",
        "The service or region may have been withdrawn from the catalog or the account. Amend "
        "the link to the scope that exists, or contact platform support.",
    ),
    Code(
        "LNK-Y004",
        VERIFICATION,
        "Billing association missing",
        "You are not recorded as the billing partner of account {account_id}.",
        "Re-run the verification in a few minutes; if it keeps failing, contact platform "
        "support before the next invoice run.",
    ),
    Code(
        "LNK-Y005",
        VERIFICATION,
        "Delegated access wrong",
        "Delegated access does not match the granted level: {detail}.",
        "Re-run the verification; if it keeps failing, revoke and re-request the delegation.",
    ),
    Code(
        "LNK-Y006",
        VERIFICATION,
        "Audit trail incomplete",
        "The audit trail lacks {missing}.",
        "Contact platform support with the link reference: a link must be traceable to the "
        "customer's consent.",
    ),
    Code(
        "LNK-Y007",
        VERIFICATION,
        "No cloud connection to prove the link",
        "{reseller} has no cloud connection, so nothing of link {reference} can be proven in "
        "the cloud.",
        "An admin of your reseller enters the partner account and its access key on the Cloud "
        "connection page; the checks then run again.",
    ),
    Code(
        "LNK-Y008",
        VERIFICATION,
        "Region reachable without consent",
        "The agency “{agency}” of account {account_id} also works in {regions}, which the "
        "customer did not consent to.",
        "The customer removes the agency's permissions from the projects of those regions; "
        "until then the link is not proven.",
    ),
    Code(
        "LNK-Y009",
        VERIFICATION,
        "Agency allows more than consented",
        "The agency “{agency}” of account {account_id} allows creating servers in {where}, "
        "although only {level} access was consented.",
        "The customer replaces the agency's full-access permissions with the read-only ones "
        "shown on the receipt; until then the link is not proven.",
    ),
    Code(
        "LNK-Y010",
        VERIFICATION,
        "No probe for this service",
        "The portal has no read-only call to prove {service}: access to it is not proven.",
        "Nothing to do for the link to work; check the service in the cloud console with the "
        "customer if it matters.",
    ),
    # --- verification: drift, the scheduled re-verification of an active link ---------------
    Code(
        "LNK-Y011",
        VERIFICATION,
        "Link broken: the cloud side is gone",
        "The customer's cloud side of link {reference} no longer answers as consented "
        "({found}), on {checks} checks in a row; your operators' access through it was removed.",
        "The customer recreates the agency exactly as the receipt shows and presses “I have "
        "done it” there; the link then waits for its setup again and is active once proven. "
        "No new request is needed.",
    ),
    Code(
        "LNK-Y012",
        VERIFICATION,
        "Billing association ended in the cloud",
        "The cloud no longer reports account {account_id} as a resale customer of your partner "
        "account ({found}), on {checks} checks in a row: billing link {reference} has ended.",
        "If the customer still wants you as their billing partner, send a new request; they "
        "accept your association invitation again.",
    ),
    Code(
        "LNK-Y013",
        VERIFICATION,
        "Link grants more than consented",
        "The cloud side of link {reference} allows more than the customer consented: {too_broad}.",
        "The customer narrows the agency to the roles on the receipt. The link stays active; "
        "the flag clears at the first check that finds the agency narrowed.",
    ),
    # --- clean-up: the cloud side of a link that ended --------------------------------------
    Code(
        "LNK-Y020",
        VERIFICATION,
        "Agency still in place",
        "The agency “{agency}” of account {account_id} can still be assumed by your partner "
        "account, although link {reference} has ended.",
        "The customer deletes the agency (the e-mail about the end of the link names it and "
        "says how); the portal checks again by itself. The portal's own access ended already.",
    ),
    Code(
        "LNK-Y021",
        VERIFICATION,
        "Association still reported",
        "Account {account_id} is still among your partner account's associated customers, "
        "although the billing of link {reference} has ended.",
        "End the association in your partner console (or the customer unbinds the partner); "
        "the portal checks again by itself.",
    ),
    Code(
        "LNK-Y022",
        VERIFICATION,
        "Cloud side still reachable",
        "Link {reference} ended on {ended_on}, and {days:day} later its cloud side can still "
        "be reached: {detail}",
        "Ask the customer to do the clean-up steps they were sent (delete the agency; "
        "terraform destroy if they used the Terraform file). The portal keeps checking daily "
        "and shows the link cleaned up once it is gone.",
    ),
    # --- connection: the reseller's connection to the cloud ---------------------------------
    Code(
        "LNK-N001",
        CONNECTION,
        "Cloud unreachable",
        "The cloud did not answer {operation} in time, or refused the connection.",
        "Nothing was changed; the portal tries again later. If it keeps happening, check the "
        "endpoints of your cloud connection and that the portal can reach them.",
    ),
    Code(
        "LNK-N002",
        CONNECTION,
        "Cloud is throttling",
        "The cloud is limiting the requests of your access key ({operation}).",
        "Nothing was changed; the portal tries again later with a longer pause. Other tools "
        "using the same access key share its limit.",
    ),
    Code(
        "LNK-N003",
        CONNECTION,
        "Access key refused",
        "The cloud refused your partner access key ({operation}): the key or its secret is "
        "wrong, or the key is disabled.",
        "Create a new access key for the partner account and enter both parts again in the "
        "cloud connection settings. After about five refusals the cloud locks the key for "
        "five minutes.",
    ),
    Code(
        "LNK-N004",
        CONNECTION,
        "Partner permission missing",
        "Your partner account may not call {operation}.",
        "Listing customers needs a solution-provider or level-1-distributor account (operator "
        "accounts need the customer-management permission); using customers' agencies needs "
        "the Agent Operator permission. Ask the partner account's administrator to grant it.",
    ),
    Code(
        "LNK-N005",
        CONNECTION,
        "Cloud failure",
        "The cloud failed to answer {operation} ({detail}).",
        "Nothing was changed; the portal tries again later. If it keeps happening, tell "
        "platform support the error code, the time and the request id.",
    ),
    Code(
        "LNK-N006",
        CONNECTION,
        "No cloud connection yet",
        "{reseller} has no cloud connection yet.",
        "An admin of your reseller enters the partner account and its access key on the Cloud "
        "connection page.",
    ),
    Code(
        "LNK-N007",
        CONNECTION,
        "Encryption keys missing",
        "The portal has no usable encryption keys for stored access keys.",
        "Tell platform staff: PORTAL_ENCRYPTION_KEYS is empty or holds a key that is not a "
        "Fernet key.",
    ),
    Code(
        "LNK-N008",
        CONNECTION,
        "Stored access key unreadable",
        "The stored access key of the cloud connection cannot be decrypted with the portal's "
        "encryption keys.",
        "Enter the access key and its secret key again on the Cloud connection page, or ask "
        "platform staff to put the key that encrypted it back into PORTAL_ENCRYPTION_KEYS.",
    ),
    Code(
        "LNK-N009",
        CONNECTION,
        "Admin role needed",
        "Only admins of {reseller} can change or test its cloud connection.",
        "Ask an admin of your reseller.",
    ),
    Code(
        "LNK-N010",
        CONNECTION,
        "Access key incomplete",
        "An access key is entered together with its secret key.",
        "Enter both parts of the new access key, or leave both empty to keep the stored one.",
    ),
    Code(
        "LNK-N011",
        CONNECTION,
        "Customer sync not saved",
        "The customers the cloud reported could not be saved ({detail}).",
        "The pages saved before stay; the next sync reads every page again. If it keeps "
        "happening, tell platform support the time of the sync.",
    ),
    Code(
        "LNK-N012",
        CONNECTION,
        "No cloud connection to read the link's scope",
        "{reseller} has no cloud connection, so what link {reference} reaches cannot be read "
        "in the cloud.",
        "An admin of your reseller enters the partner account and its access key on the Cloud "
        "connection page; then press Refresh, or wait for the next read.",
    ),
    # --- propagation: what the customer did in the cloud, not visible yet --------------------
    Code(
        "LNK-G001",
        PROPAGATION,
        "Customer not associated",
        "Account {account_id} is not among your partner account's associated customers.",
        "The customer accepts your association invitation in their cloud console; the "
        "association can take a few minutes to show. Check the account id with the customer.",
    ),
    Code(
        "LNK-G002",
        PROPAGATION,
        "Agency not found",
        "Account {account_id} has no agency “{agency}” that trusts your partner account.",
        "The customer creates the agency with exactly this name and your partner account name "
        "as the trusted account; changes can take a few minutes to take effect.",
    ),
    Code(
        "LNK-G003",
        PROPAGATION,
        "Agency does not allow it",
        "The agency “{agency}” of account {account_id} does not allow {operation} in {where}.",
        "The customer adds the consented role for this region to the agency; role changes can "
        "take a few minutes to take effect.",
    ),
    Code(
        "LNK-G004",
        PROPAGATION,
        "Agency credentials refused",
        "The cloud refused the temporary credentials of agency “{agency}” of account "
        "{account_id} ({operation}).",
        "The portal fetches new credentials and tries again later. If it keeps happening, the "
        "agency was deleted or changed: ask the customer to check it.",
    ),
    Code(
        "LNK-G005",
        PROPAGATION,
        "Association of another type",
        "Account {account_id} is associated with your partner account as {found}, not as "
        "{expected}.",
        "Send the customer your resale association invitation and ask them to accept it; a "
        "changed association can take a few minutes to show.",
    ),
    Code(
        "LNK-G006",
        PROPAGATION,
        "Consented region not reachable",
        "The agency “{agency}” of account {account_id} reaches no project in {regions}.",
        "The customer gives the agency the consented permissions in the project of each of "
        "these regions; changes can take a few minutes to take effect.",
    ),
    # --- link lifecycle --------------------------------------------------------------------
    Code(
        "LNK-L001",
        VALIDATION,
        "Link not live",
        "Link {reference} is {status}; it cannot be {action}.",
        "Reload the link to see its current state.",
    ),
    Code(
        "LNK-L002",
        VALIDATION,
        "Reason required",
        "Revoking a link needs a reason.",
        "Say why, so the customer and your colleagues understand what happened.",
    ),
    Code(
        "LNK-L003",
        VALIDATION,
        "Nothing changed",
        "The new scope is the same as the link's current scope.",
        "Change services, regions, access level or duration, or leave the link as it is.",
    ),
    Code(
        "LNK-L004",
        VALIDATION,
        "Confirmation does not match",
        "Type the link reference {reference} to confirm.",
        "Revoking stops access at once; type the reference exactly as shown to go ahead.",
    ),
    # --- batch files and batch rows ----------------------------------------------------------
    Code(
        "LNK-B001",
        VALIDATION,
        "File too large",
        "The file is {size} bytes; at most {limit} bytes are accepted.",
        "Split the file into several smaller ones and upload them one by one.",
    ),
    Code(
        "LNK-B002",
        VALIDATION,
        "Not a CSV or XLSX file",
        "The file could not be read as a CSV or XLSX table: {detail}.",
        "Save the sheet as CSV (UTF-8, comma or semicolon separated) or XLSX and upload it again.",
    ),
    Code(
        "LNK-B003",
        VALIDATION,
        "Required column missing",
        "The file has no column {columns}.",
        "The first line must name the columns; download the template to see them.",
    ),
    Code(
        "LNK-B004",
        VALIDATION,
        "Too many rows",
        "The file has more than {limit} rows.",
        "Split the file into several smaller ones and upload them one by one.",
    ),
    Code(
        "LNK-B005",
        VALIDATION,
        "No rows",
        "The file has no data rows{detail}.",
        "The first line names the columns, each following line is one row.",
    ),
    Code(
        "LNK-B006",
        VALIDATION,
        "Unknown columns ignored",
        "The columns {columns} are not known and were ignored.",
        "Check their spelling against the template if they were meant to be read.",
    ),
    Code(
        "LNK-B007",
        VALIDATION,
        "Column named twice",
        "The column {column} appears more than once.",
        "Keep one column of each name.",
    ),
    Code(
        "LNK-B010",
        VALIDATION,
        "No idempotency key",
        "The row has no key.",
        "Give every row a key of its own (e.g. the ticket and the customer), at most "
        "{max_length} characters; it makes a second upload of the same row harmless.",
    ),
    Code(
        "LNK-B011",
        VALIDATION,
        "Key used twice in the file",
        "The key “{key}” is also used by row {other_row}.",
        "Give each row its own key; only the first row with this key is run.",
    ),
    Code(
        "LNK-B012",
        VALIDATION,
        "Same customer and type twice in the file",
        "Row {other_row} already asks for {link_type} for {account_id}.",
        "Keep one row per customer and link type; a row can ask for several types.",
    ),
    Code(
        "LNK-B013",
        VALIDATION,
        "Key already used",
        "The key “{key}” was already used for request {reference}.",
        "Nothing is created twice. Use a new key only for a genuinely new request.",
    ),
    Code(
        "LNK-B014",
        VALIDATION,
        "Unknown link type",
        "“{value}” is not a link type.",
        "Use billing, provisioning or delegation, several separated by |.",
    ),
    Code(
        "LNK-B015",
        VALIDATION,
        "Not a whole number",
        "{column} must be a whole number; “{value}” was given.",
        "Write the number of days as digits only, e.g. 90.",
    ),
    Code(
        "LNK-B017",
        VALIDATION,
        "Value too long",
        "{column} is longer than {max_length} characters.",
        "Shorten it.",
    ),
    Code(
        "LNK-B020",
        VALIDATION,
        "Batch not in that state",
        "Batch {reference} is {status}; it cannot be {action}.",
        "Reload the batch page to see where it stands.",
    ),
    Code(
        "LNK-B021",
        VALIDATION,
        "Nothing to run",
        "Batch {reference} has no row left to run.",
        "Fix the refused rows in the file and upload it again; rows already done are skipped.",
    ),
    Code(
        "LNK-B022",
        VALIDATION,
        "No file",
        "No file was uploaded.",
        "Choose a CSV or XLSX file and upload it.",
    ),
    # --- customer directory import ---------------------------------------------------------
    Code(
        "LNK-D001",
        VALIDATION,
        "Malformed account id",
        "“{value}” is not a valid customer account id.",
        "An account id is the customer's domain id: 32 hexadecimal characters (0-9, a-f); "
        "case, spaces and dashes do not matter.",
    ),
    Code(
        "LNK-D002",
        VALIDATION,
        "Account id twice in the file",
        "Account {account_id} is also on row {other_row}.",
        "Keep one row per account.",
    ),
    Code(
        "LNK-D003",
        VALIDATION,
        "Display name missing or too long",
        "The display name is empty or longer than {max_length} characters.",
        "Give the account's name as the customer knows it.",
    ),
    Code(
        "LNK-D004",
        VALIDATION,
        "Invalid contact e-mail",
        "“{value}” is not a valid e-mail address.",
        "Give one address, e.g. it@customer.example, or leave it empty.",
    ),
    Code(
        "LNK-D005",
        VALIDATION,
        "Unknown value",
        "{column} “{value}” is not one of {choices}.",
        "Use one of the listed values.",
    ),
    Code(
        "LNK-D006",
        VALIDATION,
        "Unknown region",
        "Region {value} is not in the catalog of the {site} site.",
        "Use region codes of the account's site, several separated by |.",
    ),
    Code(
        "LNK-D007",
        VALIDATION,
        "Not yes or no",
        "{column} must be yes or no; “{value}” was given.",
        "Write yes/no, true/false or 1/0.",
    ),
    Code(
        "LNK-D008",
        VALIDATION,
        "Import not in that state",
        "Import {reference} is {status}; it cannot be {action}.",
        "Reload the import page to see where it stands.",
    ),
    Code(
        "LNK-D009",
        VALIDATION,
        "Site cannot change",
        "Account {account_id} is on the {current} site; the file says {value}.",
        "An account never moves between sites; correct the file.",
    ),
    Code(
        "LNK-D010",
        VALIDATION,
        "Malformed account name",
        "“{value}” is not a valid account name.",
        "An account name is the name the customer signs in with: up to 64 letters, digits, "
        "“-”, “_” or “.”; leave the cell empty when it is not known.",
    ),
    Code(
        "LNK-D011",
        VALIDATION,
        "Account name twice in the file",
        "Account name {account_name} is also on row {other_row}.",
        "Two accounts never share a name; keep it on the row of the right account id.",
    ),
    Code(
        "LNK-D012",
        VALIDATION,
        "Account name taken",
        "Account name {account_name} belongs to account {account_id} in the directory.",
        "Two accounts never share a name; check the id and the name with the cloud.",
    ),
    # --- presets ---------------------------------------------------------------------------
    Code(
        "LNK-T001",
        VALIDATION,
        "Unknown preset",
        "{reseller} has no preset named “{name}”.",
        "Check the name on the presets page (case does not matter), or ask an admin of your "
        "reseller to create it.",
    ),
    Code(
        "LNK-T002",
        VALIDATION,
        "Preset name taken",
        "A preset named “{name}” already exists.",
        "Choose another name, or edit the existing preset.",
    ),
    Code(
        "LNK-T003",
        VALIDATION,
        "Missing admin role",
        "Only admins of {reseller} can create, change or delete presets.",
        "Ask an admin of your reseller; every member can use the presets.",
    ),
    Code(
        "LNK-T004",
        VALIDATION,
        "Preset name missing",
        "A preset needs a name.",
        "Give it a short name your colleagues will recognise, such as “Read-only APAC”.",
    ),
    # --- members -------------------------------------------------------------------------
    Code(
        "ACC-M001",
        VALIDATION,
        "No such user",
        "No portal user has the e-mail address {email}.",
        "Ask platform staff to create the user first, then add them here.",
    ),
    Code(
        "ACC-M002",
        VALIDATION,
        "Already a member",
        "{email} is already a member of {reseller}.",
        "Change their role in the member list instead.",
    ),
    Code(
        "ACC-M003",
        VALIDATION,
        "Last admin",
        "{email} is the last admin of {reseller}.",
        "Make another member admin first, then change or remove this one.",
    ),
    Code(
        "ACC-M004",
        VALIDATION,
        "Missing admin role",
        "Only admins of {reseller} can manage members.",
        "Ask an admin of your reseller.",
    ),
    # --- governance: the settings the reseller's admins own ----------------------------------
    Code(
        "ACC-G001",
        VALIDATION,
        "Missing admin role",
        "Only admins of {reseller} can change its settings.",
        "Ask an admin of your reseller; you can read the settings meanwhile.",
    ),
    Code(
        "ACC-G002",
        VALIDATION,
        "Setting out of range",
        "{setting} must be between {low} and {high}; {value} is not.",
        "Choose a value within the range shown beside the setting.",
    ),
    Code(
        "ACC-G003",
        VALIDATION,
        "Reminder schedule not understood",
        "{setting}: {why}",
        "Write the times comma-separated, as a share of the window (50%) or a time before the "
        "deadline (1d, 4h); leave it empty for no reminders.",
    ),
    Code(
        "ACC-G004",
        VALIDATION,
        "Reason missing",
        "A change of the settings needs a reason.",
        "Say in a sentence why: your colleagues read it in the e-mail and the activity log.",
    ),
    Code(
        "ACC-G005",
        VALIDATION,
        "Nothing changed",
        "The settings you sent are the ones already in force.",
        "Change at least one value, or leave the page.",
    ),
    Code(
        "ACC-G006",
        VALIDATION,
        "Unknown approval policy",
        "{value} is not an approval policy.",
        "Choose one of the policies listed.",
    ),
    # --- security: lockout, rate limits, step-up -------------------------------------------
    Code(
        "ACC-S001",
        VALIDATION,
        "Too many failed logins",
        "Logging in is paused for this user name from your address after {limit:failed attempt}.",
        "Wait {minutes:minute}, then try again. If you have forgotten your password, reset "
        "it meanwhile with “Forgot your password?”. If you did not make these attempts, tell "
        "your reseller's admin.",
    ),
    Code(
        "ACC-S002",
        CONSENT,
        "Too many requests",
        "This page was opened too often in a short time.",
        "Wait a few minutes, then open the link from your e-mail again. Nothing you already "
        "decided is lost.",
    ),
    Code(
        "ACC-S003",
        VALIDATION,
        "Password confirmation needed",
        "This action needs your password again: you last entered it more than "
        "{minutes:minute} ago.",
        "Enter your password to go on; what you asked for is kept and then carried out.",
    ),
    Code(
        "ACC-S004",
        VALIDATION,
        "Wrong password",
        "The password is not correct.",
        "Type the password you log in with. After {limit:wrong attempt} logging in is paused "
        "for {minutes:minute}.",
    ),
    # --- customer centre: the customer's sign-in with a code e-mailed to the contact address --
    Code(
        "CUS-S001",
        CONSENT,
        "Too many sign-in codes",
        "Too many sign-in codes were asked for this address or from your network in a short "
        "time; no new code was sent.",
        "Use the code in the most recent e-mail, or wait {minutes:minute} and ask again.",
    ),
    Code(
        "CUS-S002",
        CONSENT,
        "Code not accepted",
        "This code is wrong, has expired (codes last 10 minutes) or was used already.",
        "Type the six digits of the most recent e-mail, or ask for a new code. After "
        "{limit:wrong attempt} signing in is paused for {minutes:minute}.",
    ),
    Code(
        "CUS-S003",
        CONSENT,
        "Too many wrong codes",
        "Signing in is paused for this address from your network after {limit:wrong attempt}.",
        "Wait {minutes:minute}, then ask for a new code. If you did not make these attempts, "
        "nothing was shown to anybody: your accounts are safe.",
    ),
    Code(
        "CUS-S004",
        CONSENT,
        "Signed out",
        "You are not signed in to the customer centre, or you were signed out after "
        "{minutes:minute} without activity.",
        "Enter your contact e-mail address to get a new sign-in code.",
    ),
    # --- webhook: the reseller's endpoints and their deliveries ------------------------------
    Code(
        "WHK-U001",
        WEBHOOK,
        "Webhook address refused",
        "{url} is not an address events can be sent to: {why}.",
        "Enter the full address of your receiver, like https://hooks.example.com/portal, "
        "without a user name or password in it.",
    ),
    Code(
        "WHK-U002",
        WEBHOOK,
        "Webhook address not public",
        "{host} leads to {address}, which is not a public internet address (loopback, "
        "private, link-local, multicast, reserved or a cloud metadata address); nothing is "
        "sent there.",
        "Give an address your receiver answers at on the public internet. If it lives on your "
        "own network, ask the portal's operator to allow that network.",
    ),
    Code(
        "WHK-U003",
        WEBHOOK,
        "Webhook host not found",
        "The name {host} could not be resolved to an address.",
        "Check the spelling of the host name and that its DNS record exists, then try again.",
    ),
    Code(
        "WHK-U004",
        WEBHOOK,
        "HTTPS required",
        "{url} uses plain HTTP; events are sent over HTTPS only, so nobody on the way can read "
        "them.",
        "Serve your receiver over HTTPS with a valid certificate and enter its https:// address.",
    ),
    Code(
        "WHK-E001",
        WEBHOOK,
        "Webhook endpoint disabled",
        "The endpoint {url} is disabled; nothing is sent to it.",
        "Enable the endpoint first, then redeliver the event.",
    ),
    Code(
        "WHK-E002",
        WEBHOOK,
        "No event chosen",
        "An endpoint receives at least one kind of event.",
        "Tick the events your system needs.",
    ),
    Code(
        "WHK-P001",
        WEBHOOK,
        "Not an admin of this reseller",
        "Only the admins of {reseller} manage its webhook endpoints.",
        "Ask one of its admins to make the change, or to give you the admin role.",
    ),
    # --- the API: keys, idempotency, rate limits, request bodies ---------------------------
    Code(
        "API-K001",
        PAGE,
        "API key missing or not valid",
        "The request carries no API key, or one the portal does not know.",
        "Send the key as `Authorization: Bearer <key>`, exactly as it was shown when it was "
        "made. A lost key cannot be shown again: an admin of your reseller makes a new one on "
        "the API keys page.",
    ),
    Code(
        "API-K002",
        PAGE,
        "API key revoked",
        "The API key {prefix} was revoked on {when}.",
        "Ask an admin of your reseller for a new key on the API keys page.",
    ),
    Code(
        "API-K003",
        PAGE,
        "API key expired",
        "The API key {prefix} expired on {when}.",
        "Ask an admin of your reseller for a new key on the API keys page.",
    ),
    Code(
        "API-K004",
        PAGE,
        "Address not allowed for this key",
        "The API key {prefix} may be used only from its allowed addresses, and {address} is "
        "not one of them.",
        "Call from an allowed address, or ask an admin of your reseller to add this one to a "
        "new key.",
    ),
    Code(
        "API-K005",
        PAGE,
        "Key holder no longer a member",
        "The person who made the API key {prefix} no longer works for {reseller} in a role "
        "that can use it.",
        "Keys act for the admin who made them: ask a current admin of your reseller for a new key.",
    ),
    Code(
        "API-K006",
        VALIDATION,
        "Not a valid list of addresses",
        "“{value}” is not an IP address or network.",
        "Write one address or network per line or separated by commas, e.g. 203.0.113.7 or "
        "198.51.100.0/24.",
    ),
    Code(
        "API-K007",
        VALIDATION,
        "Expiry in the past",
        "A key cannot expire before it is made ({when}).",
        "Choose a date after today, or leave the expiry empty for a key that lasts until it "
        "is revoked.",
    ),
    Code(
        "API-K008",
        PAGE,
        "Key role does not allow this",
        "The API key {prefix} has the role {role}, which does not allow this call.",
        "Use a key with the role the call needs (initiator to start and send requests, "
        "approver to decide them), or ask an admin of your reseller for one.",
    ),
    Code(
        "API-I001",
        PAGE,
        "Idempotency key reused with another request",
        "The Idempotency-Key {key} was used before, within 24 hours, for a different request.",
        "Send a new Idempotency-Key for a new request; repeat a key only to retry exactly the "
        "same call (same address and body).",
    ),
    Code(
        "API-I002",
        PAGE,
        "Idempotency key not usable",
        "The Idempotency-Key header must be 1 to {limit} visible ASCII characters.",
        "Send a random value, e.g. a UUID, once per operation you want done once.",
    ),
    Code(
        "API-R001",
        PAGE,
        "Too many API calls",
        "The API key {prefix} made more than {limit} calls in a minute.",
        "Wait {seconds} seconds (the Retry-After header says so too), then go on more slowly.",
    ),
    Code(
        "API-V001",
        VALIDATION,
        "Request body or parameters not valid",
        "{count} field(s) of the request are not valid: each is listed in errors.",
        "Correct the fields named in errors (the schema at /api/v1/schema/ describes each), "
        "then send the call again.",
    ),
    # --- page: the error pages any address can answer ---------------------------------------
    Code(
        "PRT-P001",
        PAGE,
        "Bad request",
        "The portal could not understand this request.",
        "Go back, reload the page and try again. If it happens again, tell platform support "
        "the error code and the time.",
    ),
    Code(
        "PRT-P002",
        PAGE,
        "Character that cannot be stored",
        "The address or a field holds a character the portal cannot store ({where}).",
        "Remove invisible or control characters (often pasted along with a value) and try "
        "again; type the value by hand if you cannot see them.",
    ),
    Code(
        "PRT-P003",
        PAGE,
        "Not allowed",
        "Your role does not allow this page or action.",
        "Ask an admin of your reseller for the role you need, or go back to the dashboard.",
    ),
    Code(
        "PRT-P004",
        PAGE,
        "Not found",
        "There is nothing at this address, or it is not yours to see.",
        "Check the address, or start again from the dashboard.",
    ),
    Code(
        "PRT-P005",
        PAGE,
        "Something went wrong",
        "The portal failed to answer; the error has been logged.",
        "Try again in a moment. Nothing is recorded twice if you repeat the action. If it "
        "keeps happening, tell platform support the error code and the time.",
    ),
    Code(
        "PRT-P006",
        PAGE,
        "Form expired",
        "The form was sent without the security cookie it was opened with (the page is old, "
        "or cookies were cleared or blocked); nothing was recorded.",
        "Reload the page, then send the form again. If it happens again, allow cookies for "
        "this site.",
    ),
    Code(
        "PRT-P007",
        CONSENT,
        "Consent page expired",
        "Your answer was sent without the security cookie this page was opened with; nothing "
        "was recorded.",
        "Reload this page from the link in your e-mail, then decide again. If it happens "
        "again, allow cookies for this site.",
    ),
    Code(
        "PRT-P008",
        PAGE,
        "Not a way to use this address",
        "This address does not answer {request_kind}; nothing was recorded.",
        "Use the buttons and forms of the portal's pages rather than the address itself; to "
        "see the page, open its address in the browser.",
    ),
]

CODES: dict[str, Code] = {entry.code: entry for entry in _ENTRIES}


def codes_by_stage() -> list[tuple[str, list[Code]]]:
    return [(stage, [c for c in _ENTRIES if c.stage == stage]) for stage in STAGES]
