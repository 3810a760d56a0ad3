"""Default pagination of non-seed REST lists (seed endpoints keep their own paging)."""

from rest_framework.pagination import PageNumberPagination


class PlatformPagination(PageNumberPagination):
    """`?page=N&page_size=M` (at most 1000) with `count`, `next`, `previous`, `results`."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
