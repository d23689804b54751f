"""Error codes of batch files and rows, the customer directory import and presets."""

from portal.codes.base import VALIDATION, Code, _

ENTRIES = [
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
]
