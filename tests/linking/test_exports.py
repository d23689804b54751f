"""CSV exports of the request and link lists (pages and commands): what the list shows for the
same query string, streamed with a constant number of queries, safe for spreadsheets."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from linking import exports, services
from linking.checks import ItemSpec
from linking.models import Link, LinkRequest
from tests.conftest import ACME, cast_shared_by_the_module, login, make_draft, submit
from tests.factories import CustomerFactory
from tests.journeys import accepted_link

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()
BILLING = [ItemSpec(link_type="billing")]


def url(name):
    return reverse(f"linking:{name}")


def read(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def column(rows, name) -> list[str]:
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


def linked(cast, customer, ticket="INC-1001"):
    return accepted_link(cast, customer=customer, ticket=ticket)


def their_draft(cast, ticket):
    req = services.link_request_create_draft(actor=cast.outsider, reseller=cast.other)
    services.link_request_set_types(actor=cast.outsider, request_id=req.pk, link_types=["billing"])
    services.link_request_set_customer(
        actor=cast.outsider, request_id=req.pk, account_id=cast.customer.account_id
    )
    services.link_request_set_details(
        actor=cast.outsider,
        request_id=req.pk,
        ticket_reference=ticket,
        note_to_customer="",
        consent_days=7,
    )
    return req


@pytest.fixture
def reqs(cast):
    draft = make_draft(cast, ticket="T-123 draft")
    waiting = submit(cast, make_draft(cast, customer=cast.customer2, ticket="T-123"))
    approval = submit(cast, make_draft(cast, specs=BILLING, ticket="CHG-9"))
    theirs = their_draft(cast, "T-123")
    return draft, waiting, approval, theirs


# --- pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["request-export", "link-export"])
def test_anonymous_is_sent_to_login(client, cast, name):
    response = client.get(url(name))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("name", ["request-export", "link-export"])
def test_a_user_without_a_reseller_gets_nothing(client, cast, name):
    login(client, cast.no_member)
    assert client.get(url(name)).status_code == 403


@pytest.mark.parametrize("name", ["request-export", "link-export"])
def test_export_is_read_only(client, cast, name):
    login(client, cast.viewer)
    assert client.post(url(name)).status_code == 405


def test_viewer_exports_exactly_what_the_request_list_shows(client, cast, reqs):
    draft, waiting, approval, theirs = reqs
    login(client, cast.viewer)
    response = client.get(url("request-export"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="requests-p-100001-{today}.csv"'
    )
    rows = read(response)
    assert rows[0] == exports.REQUEST_HEADER
    assert column(rows, "Reference") == [approval.reference, waiting.reference, draft.reference]
    row = dict(zip(rows[0], rows[2], strict=True))
    assert row["Customer account id"] == cast.customer2.formatted_id
    assert row["Customer name"] == "Globex"
    assert row["Link types"] == "delegation"
    assert row["Status"] == "pending_consent" and row["Waiting on"] == "delivery"
    assert row["Ticket reference"] == "T-123"
    assert row["Initiator"] == cast.initiator.email
    assert row["Created"].startswith(today) and row["Submitted"].startswith(today)

    for query, expected in [
        ({"status": "pending_consent"}, [waiting]),
        ({"q": "T-123"}, [waiting, draft]),
        ({"ticket": "t-123"}, [waiting, draft]),
        ({"ticket": "123"}, []),
        ({"waiting_on": "approver", "page": "2"}, [approval]),
        ({"link_type": "billing"}, [approval]),
        ({"status": "nonsense", "customer": "Globex"}, [waiting]),
    ]:
        exported = column(read(client.get(url("request-export"), query)), "Reference")
        assert exported == [r.reference for r in expected], query
        page = client.get(reverse("linking:request-list"), query).content.decode()
        for req in expected:
            assert req.reference in page
    assert theirs.reference not in str(read(client.get(url("request-export"))))


def test_another_resellers_rows_never_appear(client, cast, reqs):
    *_, theirs = reqs
    login(client, cast.outsider)
    rows = read(client.get(url("request-export"), {"q": "T-123"}))
    assert column(rows, "Reference") == [theirs.reference]
    assert rows[1][rows[0].index("Customer name")] == "Acme Retail"
    assert column(read(client.get(url("link-export"))), "Reference") == []


def test_link_export_has_the_ticket_of_the_request_behind_each_link(client, cast):
    link = linked(cast, cast.customer, ticket='=HYPERLINK("http://evil")')
    other = linked(cast, cast.customer2, ticket="INC-77")
    login(client, cast.viewer)
    response = client.get(url("link-export"))
    assert 'filename="links-p-100001-' in response["Content-Disposition"]
    rows = read(response)
    assert rows[0] == exports.LINK_HEADER
    assert column(rows, "Reference") == [other.reference, link.reference]
    row = dict(zip(rows[0], rows[2], strict=True))
    assert row["Customer account id"] == ACME
    assert row["Customer account name"] == "acme-retail"
    assert row["Type"] == "delegation" and row["Status"] == link.status
    assert row["Services"] == "ECS OBS" and row["Regions"] == "ap-southeast-1"
    assert row["Request"] == link.source_item.request.reference
    assert row["Clean-up"] == ""  # live: nothing to clean up
    assert row["Ticket reference"] == '\'=HYPERLINK("http://evil")'
    filtered = read(client.get(url("link-export"), {"q": "inc-77"}))
    assert column(filtered, "Reference") == [other.reference]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1", "'+33 1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("T-1 = ok", "T-1 = ok"),
        ("", ""),
        (None, ""),
        ("Müller 株式会社", "Müller 株式会社"),
    ],
)
def test_cells_are_safe_for_spreadsheets(value, cell):
    assert exports.safe_cell(value) == cell


def test_customer_names_survive_quoting_and_unicode(client, cast):
    customer = CustomerFactory(
        display_name='@Acme, "Ltd"\n株式会社', enabled_regions=[cast.region_a]
    )
    submit(cast, make_draft(cast, customer=customer, specs=BILLING))
    login(client, cast.viewer)
    rows = read(client.get(url("request-export")))
    assert column(rows, "Customer name") == ['\'@Acme, "Ltd"\n株式会社']


def test_every_export_is_logged_with_who_and_what(client, cast, caplog, tmp_path):
    login(client, cast.viewer)
    with caplog.at_level("INFO", logger="linking"):
        b"".join(client.get(url("link-export"), {"q": "INC"}).streaming_content)
        call_command(
            "export_requests", "--reseller", "P-100001", "--output", str(tmp_path / "r.csv")
        )
    messages = [r.getMessage() for r in caplog.records if "export of" in r.getMessage()]
    assert messages == [
        f"export of links by user {cast.viewer.pk} of reseller P-100001, filters 'q=INC'",
        "export of requests of reseller P-100001 by command, filters ''",
    ]


def test_list_pages_link_to_the_export_with_their_filters(client, cast, reqs):
    login(client, cast.viewer)
    page = client.get(reverse("linking:request-list"), {"q": "T-123", "page": "1"})
    assert f'href="{url("request-export")}?q=T-123"' in page.content.decode()
    page = client.get(reverse("linking:link-list"), {"status": "active", "q": "x"})
    assert f'href="{url("link-export")}?status=active&amp;q=x"' in page.content.decode()


# --- streaming and queries -------------------------------------------------------------------


def _exported_with(client, django_assert_num_queries, target, budget) -> int:
    client.get(target)  # warm the caches (content types, sessions)
    with django_assert_num_queries(budget):
        response = client.get(target)
        assert response.streaming
        rows = read(response)
    return len(rows) - 1


# 3 for every page (session, user, the membership with the role's permissions); then the request
# export pays the members offered by the initiator filter, one query for the rows, one for the
# items of each chunk and one for the links they made; the link export one query for the rows
# (everything is joined).
REQUEST_BUDGET = 3 + 1 + 1 + 1 + 1
LINK_BUDGET = 3 + 1


def test_request_export_streams_with_the_same_queries_for_3_and_30_rows(
    client, cast, django_assert_num_queries
):
    login(client, cast.viewer)
    customers = [CustomerFactory(enabled_regions=[cast.region_a]) for _ in range(30)]
    for size in (3, 30):
        while LinkRequest.objects.count() < size:
            submit(cast, make_draft(cast, customer=customers[LinkRequest.objects.count()]))
        target = url("request-export")
        assert _exported_with(client, django_assert_num_queries, target, REQUEST_BUDGET) == size


def test_request_export_costs_one_query_per_chunk(
    client, cast, django_assert_num_queries, monkeypatch
):
    login(client, cast.viewer)
    for _ in range(25):
        make_draft(cast, customer=CustomerFactory(enabled_regions=[cast.region_a]))
    monkeypatch.setattr(exports, "CHUNK_SIZE", 10)
    # Three chunks: the row query is one cursor, the items and the links are fetched per chunk.
    budget = 3 + 1 + 1 + 3 + 3
    assert _exported_with(client, django_assert_num_queries, url("request-export"), budget) == 25


def test_link_export_streams_with_the_same_queries_for_3_and_30_rows(
    client, cast, django_assert_num_queries
):
    login(client, cast.viewer)
    for size in (3, 30):
        while Link.objects.count() < size:
            linked(cast, CustomerFactory(enabled_regions=[cast.region_a, cast.region_b]))
        target = url("link-export")
        assert _exported_with(client, django_assert_num_queries, target, LINK_BUDGET) == size


# --- commands ----------------------------------------------------------------------------------


def test_export_requests_command_writes_the_filtered_file(cast, reqs, tmp_path):
    draft, waiting, *_ = reqs
    out = tmp_path / "requests.csv"
    stdout = io.StringIO()
    call_command(
        "export_requests",
        "--reseller",
        "P-100001",
        "--filter",
        "q=T-123",
        "--output",
        str(out),
        stdout=stdout,
    )
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert column(rows, "Reference") == [waiting.reference, draft.reference]
    assert stdout.getvalue().strip() == f"Exported 2 requests of P-100001 to {out}."
    assert [p.name for p in tmp_path.iterdir()] == ["requests.csv"]


def test_export_links_command_writes_to_standard_output(cast):
    link = linked(cast, cast.customer, ticket="INC-9")
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(
        "export_links",
        "--reseller",
        "P-100001",
        "--filter",
        "?status=activating&q=INC-9",
        stdout=stdout,
        stderr=stderr,
    )
    rows = list(csv.reader(io.StringIO(stdout.getvalue())))
    assert rows[0] == exports.LINK_HEADER
    assert column(rows, "Reference") == [link.reference]
    assert column(rows, "Ticket reference") == ["INC-9"]
    assert "Exported 1 links of P-100001 to standard output." in stderr.getvalue()


def test_the_commands_and_the_pages_export_the_same_bytes(client, cast, reqs, tmp_path):
    out = tmp_path / "requests.csv"
    call_command(
        "export_requests",
        "--reseller",
        "P-100001",
        "--filter",
        "status=pending_consent",
        "--output",
        str(out),
        stdout=io.StringIO(),
    )
    login(client, cast.admin)
    response = client.get(url("request-export"), {"status": "pending_consent"})
    assert b"".join(response.streaming_content) == out.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reseller", "P-999"], "No reseller with partner id 'P-999'"),
        (["--reseller", "P-100001", "--filter", "colour=red"], "Unknown filter(s): colour"),
        (["--reseller", "P-100001", "--filter", "status=lost"], "Invalid filter: status"),
    ],
)
def test_the_commands_refuse_what_they_cannot_honour(cast, args, message, tmp_path):
    out = tmp_path / "x.csv"
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("export_requests", *args, "--output", str(out))
    assert not out.exists()
