"""Keyset pagination: Next and Previous continue from a row, the total is counted to a cap."""

import pytest
from django.test import RequestFactory

from linking.models import CustomerAccount
from portal import pagination
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
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
