"""Bulk writing into the register from outside it.

Three ways records arrive in bulk: the seed files (`seeds`: `manage.py load_seeds`),
the curators' CSV import in the export's format (`imports`: `manage.py
import_initiatives` and the admin's upload) and synthetic records for benchmarks
(`generation`: `manage.py generate_initiatives`). The first two check every row and
write all of it or nothing; their problems are located by row and column.
"""
