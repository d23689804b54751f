"""Error codes of a request: validation, state, approval, consent, resends and reminders."""

from portal.codes.base import APPROVAL, CONSENT, VALIDATION, Code, _

ENTRIES = [
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
]
