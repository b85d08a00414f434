"""`exportwatch report`: a static HTML page with PNG charts (Altair, rendered offline by
vl-convert) from the warehouse, read-only: one country's series with alert and revision markers,
the latest months with quality flags, the route comparison, and the goods behind the latest change.

build.py collects and writes, charts.py renders, page.py is the HTML, artifact.py the chart in a
run's Prefect artifact. (A package beside flows/orchestration/run_summary.py, which is the Markdown of that artifact.)"""
