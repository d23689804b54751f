"""Error codes of a link: activation, verification and drift, clean-up of an ended link, the
reseller's connection to the cloud, what the customer did in the cloud, and the lifecycle."""

from portal.codes.base import ACTIVATION, CONNECTION, PROPAGATION, VALIDATION, VERIFICATION, Code, _

ENTRIES = [
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
]
