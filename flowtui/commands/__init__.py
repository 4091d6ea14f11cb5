"""flowtui's subcommands, one module per family (app, demo, query, cloudwatch, views, explain).

flowtui/cli.py parses the arguments and dispatches to a `run_*` function here; output.py and
connection.py hold what several families share.
"""
