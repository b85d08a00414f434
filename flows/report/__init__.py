"""`exportwatch report`: a static HTML page with PNG charts (Altair, rendered offline by
vl-convert) from the warehouse, read-only: one country's series with alert and revision markers,
the latest months with quality flags, the route comparison, and the goods behind the latest change.

build.py collects and writes, charts.py renders (each chart once), page.py and page.html.j2 are the
HTML, refresh.py rebuilds the report after a run and draws the small chart that
flows/orchestration/run_summary.py puts into the run's Prefect artifact."""
