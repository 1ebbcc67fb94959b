"""The differential parity suite against PyTorch: op catalogue, random programs, misuse cases, reports.

PyTorch is the oracle and is only ever imported by these test helpers, never by the library.
Modules: `core` (running code text in both libraries, comparing results, repro scripts),
`catalogue` (every op the README lists, with generators of valid random calls), `programs`
(seeded random programs built from the catalogue and checked value, dtype, shape, gradient and
second derivative), `misuse` (invalid and borderline calls, generated systematically), `report`
(a command-line run that groups failures by cause).
"""
