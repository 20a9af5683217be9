"""Insights: the landscape of the register for commissioners, as figures, tables and charts.

The /insights/ page and a CSV download of each of its tables, for an area, a
vanguard site, both or the whole register. The modules depend one way, each on
those before it:

- scope: what is counted (Scope) and the links behind each figure;
- figures: the counting, every figure an aggregate in the database;
- tables: the figures as tables (Cell, Table), for the page and the CSV downloads;
- charts: accessible SVG bar charts, drawn on the server;
- page: Insights, every section of one scope counted once, its tables and charts;
- views and urls: the page and the CSV downloads.
"""
