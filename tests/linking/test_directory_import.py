"""Customer directory import: every field validated, dry run then confirm, history, staff only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from linking.batches import directory
from linking.models import CustomerAccount, DirectoryImport, Link
from portal.errors import PortalError
from tests.conftest import ACME, cast_shared_by_the_module, login

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

# The accounts the tests create: this, then three digits (written as a UUID in the files).
NEW = "5555" + "0" * 25

HEADER = "account_id,display_name,contact_email,site,status,regions,is_partner"


def data(*lines) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def check(cast, *lines) -> DirectoryImport:
    return directory.directory_import_upload(
        actor=cast.staff, file_name="directory.csv", data=data(*lines)
    )


def rows(imp) -> dict[int, tuple[str, list[str]]]:
    return {r["row"]: (r["action"], [x["code"] for x in r["reasons"]]) for r in imp.rows}


def test_new_and_changed_accounts_are_checked_then_applied_with_history(cast):
    imp = check(
        cast,
        "55550000-0000-0000-0000-000000000001,New Co,it@new.example,intl,active,"
        "ap-southeast-1|eu-west-101,no",
        f"{cast.customer.account_id},Acme Retail Group,,,,,",
        f"{cast.customer2.account_id},,,,,,",
    )
    assert rows(imp) == {2: ("create", []), 3: ("update", []), 4: ("unchanged", [])}
    assert (imp.to_create, imp.to_update, imp.unchanged, imp.invalid_rows) == (1, 1, 1, 0)
    assert not CustomerAccount.objects.filter(account_id=NEW + "001").exists()
    imp = directory.directory_import_apply(actor=cast.staff, import_id=imp.pk)
    assert (imp.status, imp.created_count, imp.updated_count) == ("applied", 1, 1)
    new = CustomerAccount.objects.get(account_id=NEW + "001")
    assert (new.display_name, new.contact_email, new.site, new.is_partner) == (
        "New Co",
        "it@new.example",
        "intl",
        False,
    )
    assert sorted(new.regions.values_list("code", flat=True)) == ["ap-southeast-1", "eu-west-101"]
    cast.customer.refresh_from_db()
    assert cast.customer.display_name == "Acme Retail Group"
    assert cast.customer.contact_email  # empty cell: unchanged
    latest = cast.customer.history.first()
    assert latest.history_user == cast.staff
    assert imp.reference in latest.history_change_reason
    assert new.history.first().history_user == cast.staff
    with pytest.raises(PortalError) as info:
        directory.directory_import_apply(actor=cast.staff, import_id=imp.pk)
    assert info.value.code == "LNK-D008"


def test_the_same_file_again_changes_nothing(cast):
    line = (
        "55550000-0000-0000-0000-000000000002,Twice Ltd,a@twice.example,intl,frozen,"
        "ap-southeast-1,yes"
    )
    directory.directory_import_apply(actor=cast.staff, import_id=check(cast, line).pk)
    again = check(cast, line)
    assert rows(again) == {2: ("unchanged", [])}


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("12-34,Bad Id,,,,,", "LNK-D001"),
        (",No Id,,,,,", "LNK-D001"),
        ("55550000-0000-0000-0000-000000000003,,,,,,", "LNK-D003"),
        ("55550000-0000-0000-0000-000000000003," + "N" * 201 + ",,,,,", "LNK-D003"),
        ("55550000-0000-0000-0000-000000000003,Mail,not-an-address,,,,", "LNK-D004"),
        ("55550000-0000-0000-0000-000000000003,Site,,mars,,,", "LNK-D005"),
        ("55550000-0000-0000-0000-000000000003,Status,,,sleeping,,", "LNK-D005"),
        ("55550000-0000-0000-0000-000000000003,Region,,intl,,cn-north-4,", "LNK-D006"),
        ("55550000-0000-0000-0000-000000000003,Region,,intl,,atlantis-1,", "LNK-D006"),
        ("55550000-0000-0000-0000-000000000003,Partner,,,,,maybe", "LNK-D007"),
        (f"{ACME},Acme,,cn,,,", "LNK-D009"),
    ],
)
def test_every_field_is_validated(cast, line, code):
    imp = check(cast, line)
    action, codes = rows(imp)[2]
    assert action == "invalid" and code in codes
    assert imp.invalid_rows == 1
    before = CustomerAccount.history.count()
    directory.directory_import_apply(actor=cast.staff, import_id=imp.pk)
    assert CustomerAccount.history.count() == before


def test_an_account_twice_in_the_file_is_refused_on_the_later_row(cast):
    imp = check(
        cast,
        "55550000-0000-0000-0000-000000000004,One,,,,,",
        NEW + "004,Two,,,,,",
    )
    assert rows(imp) == {2: ("create", []), 3: ("invalid", ["LNK-D002"])}


def test_labels_are_accepted_for_choices(cast):
    imp = check(
        cast, "55550000-0000-0000-0000-000000000005,Labels,,China,In arrears,cn-north-4,true"
    )
    assert rows(imp) == {2: ("create", [])}
    directory.directory_import_apply(actor=cast.staff, import_id=imp.pk)
    new = CustomerAccount.objects.get(account_id=NEW + "005")
    assert (new.site, new.status, new.is_partner) == ("cn", "in_arrears", True)


def test_a_status_change_goes_through_the_customer_status_service(cast):
    from tests.linking.test_checks import make_other_reseller_billing_partner

    link = make_other_reseller_billing_partner(cast, cast.customer)
    assert link.status == Link.Status.ACTIVE
    imp = check(cast, f"{cast.customer.account_id},,,,frozen,,")
    assert imp.rows[0]["changed"] == ["status"]
    directory.directory_import_apply(actor=cast.staff, import_id=imp.pk)
    link.refresh_from_db()
    assert link.status == Link.Status.SUSPENDED


def test_only_staff_who_may_change_the_directory_can_import(cast):
    for user in (cast.auditor, cast.admin):
        with pytest.raises(PortalError) as info:
            directory.directory_import_upload(actor=user, file_name="d.csv", data=data())
        assert info.value.code == "LNK-V013"


def test_the_pages_are_for_directory_staff_only(client, cast):
    page = reverse("ops:directory-import")
    assert client.get(page).status_code == 302
    for user in (cast.admin, cast.auditor):
        login(client, user)
        assert client.get(page).status_code == 403
    login(client, cast.staff)
    assert client.get(page).status_code == 200
    assert client.get(reverse("ops:directory-import-template")).status_code == 200


def test_upload_report_and_confirm_through_the_pages(client, cast):
    login(client, cast.staff)
    response = client.post(
        reverse("ops:directory-import"),
        {
            "file": SimpleUploadedFile(
                "d.csv", data("55550000-0000-0000-0000-000000000006,Paged Ltd,,,,,", "x,,,,,,")
            )
        },
    )
    imp = DirectoryImport.objects.get()
    assert response.status_code == 302
    report = client.get(response.url).text
    assert 'data-action="create"' in report and 'data-code="LNK-D001"' in report
    assert not CustomerAccount.objects.filter(account_id=NEW + "006").exists()
    response = client.post(reverse("ops:directory-import-confirm", args=[imp.pk]))
    assert response.status_code == 302
    assert CustomerAccount.objects.filter(account_id=NEW + "006").exists()


def test_a_refused_file_is_reported_and_stores_nothing(client, cast):
    login(client, cast.staff)
    response = client.post(
        reverse("ops:directory-import"),
        {"file": SimpleUploadedFile("d.csv", b"display_name\nAcme\n")},
    )
    assert response.status_code == 400 and 'data-code="LNK-B003"' in response.text
    assert not DirectoryImport.objects.exists()


NAMED_HEADER = "account_id,account_name,display_name"


def check_named(cast, *lines) -> DirectoryImport:
    return directory.directory_import_upload(
        actor=cast.staff,
        file_name="directory.csv",
        data=("\n".join([NAMED_HEADER, *lines]) + "\n").encode(),
    )


def test_account_names_are_imported_and_an_empty_cell_keeps_the_name(cast):
    imp = check_named(
        cast,
        f"{NEW}010,new-co,New Co",
        f"{cast.customer2.account_id.upper()},globex-ops,",
        f"{ACME},,",
    )
    assert rows(imp) == {2: ("create", []), 3: ("update", []), 4: ("unchanged", [])}
    assert imp.rows[1]["changed"] == ["account_name"]
    directory.directory_import_apply(actor=cast.staff, import_id=imp.pk)
    assert CustomerAccount.objects.get(account_id=NEW + "010").account_name == "new-co"
    cast.customer2.refresh_from_db()
    assert cast.customer2.account_name == "globex-ops"
    assert cast.customer2.history.first().history_change_reason.startswith("directory import")
    cast.customer.refresh_from_db()
    assert cast.customer.account_name == "acme-retail"


def test_a_bad_taken_or_repeated_account_name_is_refused(cast):
    imp = check_named(
        cast,
        f"{NEW}011,new co,New Co",
        f"{NEW}012,acme-retail,Copy Cat",
        f"{NEW}013,twin,Twin One",
        f"{NEW}014,twin,Twin Two",
    )
    assert rows(imp) == {
        2: ("invalid", ["LNK-D010"]),
        3: ("invalid", ["LNK-D012"]),
        4: ("create", []),
        5: ("invalid", ["LNK-D011"]),
    }
    assert ACME in imp.rows[1]["reasons"][0]["message"]
