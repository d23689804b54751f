"""Error codes of people: members, invitations, sessions, teams, governance, security, single
sign-on and second factors."""

from portal.codes.base import APPROVAL, CONSENT, VALIDATION, VERIFICATION, Code, _

ENTRIES = [
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
]
