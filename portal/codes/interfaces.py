"""Error codes of the customer centre, the codes e-mailed to a contact address, webhooks, the
API, and the error pages any address can answer."""

from portal.codes.base import CONSENT, PAGE, VALIDATION, WEBHOOK, Code, _

ENTRIES = [
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
