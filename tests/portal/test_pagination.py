"""Keyset pagination: Next and Previous continue from a row, the total is counted to a cap."""

import pytest
from django.test import RequestFactory

from linking.models import CustomerAccount
from portal import pagination
from tests.conftest import cast_shared_by_the_module
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()
ORDER = ("display_name", "id")


def _page(query: str = ""):
    request = RequestFactory().get(f"/?{query}")
    return pagination.paginate(request, CustomerAccount.objects.all(), ordering=ORDER, per_page=3)


def _names(page) -> list[str]:
    return [c.display_name for c in page]


def test_next_and_previous_links_walk_the_whole_list_in_order(db):
    for i in range(8):
        CustomerFactory(display_name=f"Customer {i}")
    expected = [f"Customer {i}" for i in range(8)]
    first = _page()
    seen = _names(first)
    page = first
    while page.has_next:
        page = _page(page.next_query)
        seen += _names(page)
    assert seen == expected
    assert (page.number, page.has_next, page.paginator.num_pages) == (3, False, 3)
    back = _page(page.previous_query)
    assert _names(back) == expected[3:6]
    assert back.number == 2
    assert _names(_page(back.previous_query)) == expected[:3]


def test_a_bare_page_number_is_an_offset_and_past_the_end_is_the_last_page(db):
    for i in range(5):
        CustomerFactory(display_name=f"Customer {i}")
    assert _names(_page("page=2")) == ["Customer 3", "Customer 4"]
    assert _page("page=99").number == 2
    assert _page("page=-1&after=x&before=").number == 1


def test_the_total_is_counted_only_up_to_the_cap(db, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 4)
    for i in range(6):
        CustomerFactory(display_name=f"Customer {i}")
    page = _page()
    assert (page.count, page.count_capped, page.paginator.num_pages) == (4, True, None)
    assert page.has_next
    monkeypatch.setattr(pagination, "COUNT_CAP", 6)
    assert (_page().count, _page().count_capped) == (6, False)


def test_an_empty_list_costs_one_query(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = _page()
    assert (page.count, page.has_next, page.has_previous, list(page)) == (0, False, False, [])


@pytest.mark.parametrize(
    "query",
    ["page=²", "page=١٢", "page=-1", "page=0", "page=" + "9" * 40, "after=²", "before=" + "9" * 40],
)
def test_odd_page_numbers_give_a_page_not_an_error(db, query):
    for i in range(4):
        CustomerFactory(display_name=f"Customer {i}")
    page = _page(query)
    assert page.number >= 1


def test_a_page_far_beyond_a_capped_list_is_empty_not_an_error(db, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    for i in range(4):
        CustomerFactory(display_name=f"Customer {i}")
    page = _page("page=" + "9" * 18)
    assert (page.number, list(page)) == (pagination.PAGE_CAP, [])


# --- the anchor is one of the list's own rows -----------------------------------------------


def _mine(query: str = ""):
    request = RequestFactory().get(f"/?{query}")
    qs = CustomerAccount.objects.filter(display_name__startswith="Mine")
    return pagination.paginate(request, qs, ordering=ORDER, per_page=2)


@pytest.mark.parametrize("direction", ["after", "before"])
def test_an_anchor_outside_the_list_gives_the_first_page(db, direction):
    # Rows of the list ("Mine …") and of someone else's, sorted between and after them.
    for name in ("Aa theirs", "Mine 1", "Mine 3", "Mine 5", "Mine 7", "Theirs 2", "Zz theirs"):
        CustomerFactory(display_name=name)
    first = _names(_mine())
    for other in CustomerAccount.objects.exclude(display_name__startswith="Mine"):
        page = _mine(f"page=3&{direction}={other.pk}")
        assert (_names(page), page.number, page.has_previous) == (first, 1, False), other
        assert page.next_query == _mine().next_query
    # What a missing id gives, too: nothing tells the two apart.
    assert _names(_mine(f"{direction}=987654321")) == first


def test_an_anchor_the_filters_leave_out_gives_the_first_page(db):
    mine = [CustomerFactory(display_name=f"Mine {i}") for i in range(5)]
    CustomerFactory(display_name="Other 9")
    assert _names(_mine(f"after={mine[1].pk}")) == ["Mine 2", "Mine 3"]
    mine[1].display_name = "Renamed"
    mine[1].save()
    assert _names(_mine(f"after={mine[1].pk}")) == ["Mine 0", "Mine 2"]


def test_paging_on_from_an_own_row_costs_two_queries(db, django_assert_num_queries):
    rows = [CustomerFactory(display_name=f"Mine {i}") for i in range(5)]
    with django_assert_num_queries(2):
        page = _mine(f"page=2&after={rows[1].pk}")
    assert _names(page) == ["Mine 2", "Mine 3"]
    with django_assert_num_queries(2):
        page = _mine(f"page=2&before={rows[4].pk}")
    assert _names(page) == ["Mine 2", "Mine 3"]


def test_another_resellers_request_as_anchor_shows_the_first_page(client, cast):
    from django.urls import reverse

    from linking import services
    from tests.conftest import make_draft

    for _ in range(3):
        make_draft(cast)
    theirs = services.link_request_create_draft(actor=cast.outsider, reseller=cast.other)
    client.force_login(cast.admin)
    url = reverse("linking:request-list")
    first = [r.pk for r in client.get(url).context["page"]]
    for query in (f"page=2&after={theirs.pk}", f"page=2&before={theirs.pk}"):
        page = client.get(f"{url}?{query}").context["page"]
        assert ([r.pk for r in page], page.number) == (first, 1), query
