"""The resident ossprov: a process that has imported ossprov once and forks a copy of itself for each command.

A fresh Python process spends 60-90 ms importing what `ossprov verify` uses before any work, many times the
work itself on a warm cache. `ossprov` (the client, `client.py`) hands its command line, environment, working
directory and standard streams to the daemon (`server.py`) over a private Unix socket; the daemon forks, and the
copy runs the command exactly as the process would have, writing to the caller's own streams, and reports the
exit code back. Each command runs in a fresh copy of a daemon that never ran one, so nothing one command did is
seen by the next. `protocol.py` holds what both sides share.
"""
