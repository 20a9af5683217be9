"""The curators' admin: enter, verify, publish and archive records.

Curators archive rather than delete: the "Curator" group (migration 0002) has no
delete permission on initiatives or organisations, so Django hides the delete
button and the bulk delete action from them. Lead curators (migration 0005) and
superusers can delete, and the deletion is kept in the record's history.

Every change to an initiative, organisation or funding line is kept by
django-simple-history: the "History" button on a record lists who changed what and
when, and restores an earlier version (initiatives/services/history.py adds what its
signals cannot see).

Modules: `base` (history, URL fields), `vocabularies` (conditions, topics, groups,
areas, vanguard sites), `organisations` (with funding lines), `initiatives` (the
changelist, bulk actions, upload and export), `suggestions` (review).

The site itself (its titles, and the index that opens on the work queue) is
curation/site.py.
"""

# Each module registers its models with the admin site.
from . import initiatives, jobs, organisations, suggestions, vocabularies  # noqa: F401
