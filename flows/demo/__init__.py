"""The offline demo: a local GENESIS-protocol server that serves real Eurostat figures as table
51000-0004, and the real update flow run against it."""
