"""The update pipeline as plain functions, run without Prefect: plan -> fetch -> stage -> load,
and run.py, which runs them in order under the update lock (flows/update_trade.py runs the same
functions as Prefect tasks). load_file.py is `exportwatch load` of a file from disk."""
