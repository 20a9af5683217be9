"""SQL pieces every backend builds on: raw SQL about the current row, and the final order.

Results are ordered the same way whatever matched them: an exact
(case-insensitive) name match first, then the backend's rank, then name.
"""

from django.db.models import BooleanField, Case, Expression, F, FloatField, Q, Value, When


class RowSQL(Expression):
    """A raw SQL fragment about the current initiative row.

    ``{row}`` in the fragment is replaced by the alias of the initiative table in
    the query being compiled, so the fragment stays right when Django relabels
    the query (as a subquery, for instance).
    """

    def __init__(self, sql: str, params=(), output_field=None):
        super().__init__(output_field=output_field or FloatField())
        self.sql = sql
        self.params = tuple(params)
        self.pk = F("pk")

    def __repr__(self) -> str:
        return f"RowSQL({self.sql!r}, {self.params!r})"

    def get_source_expressions(self):
        return [self.pk]

    def set_source_expressions(self, exprs):
        (self.pk,) = exprs

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(self.pk.alias)
        return "(" + self.sql.replace("{row}", alias) + ")", list(self.params)

    def get_group_by_cols(self):
        return [self]


def row_condition(sql: str, params=()) -> RowSQL:
    """A RowSQL fragment that is a condition (for `filter`)."""
    return RowSQL(sql, params, output_field=BooleanField())


def exact_name(text: str):
    """Case-insensitive equality with the whole query, for the exact-name boost."""
    return Q(name__iexact=text)


# The relevance order every backend's matches come in.
RANKED_ORDER = ("-search_exact", "-search_rank", "name", "pk")


def ranked(queryset, rank, text: str):
    """The matches annotated with `search_exact` and `search_rank`, in relevance order."""
    flagged = queryset.annotate(
        search_exact=Case(When(exact_name(text), then=Value(1)), default=Value(0)),
        search_rank=rank,
    )
    return flagged.order_by(*RANKED_ORDER)
