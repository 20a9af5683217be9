"""Curation: how records get into the register and stay right.

An app with no models of its own; it works on the register's (`initiatives`).

- `admin`: the Django admin for curators (records, areas, vocabularies,
  suggestions), with history, bulk actions and the CSV upload.
- `forms`: the admin's forms (funding lines that add up, edit conflicts).
- `imports`: the admin's CSV upload page (the import itself is
  `initiatives.loading.imports`).
- `suggestions`: the public "suggest an initiative or a correction" form.
- `services`: curators' decisions on suggestions (accept, reject).
- `management/commands/review_due`: records due for review, as CSV.
"""
