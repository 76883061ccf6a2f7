"""The page numbers the paged API lists accept.

A page far past the end is simply empty, but its row offset must still fit the database's
64-bit integers: SQLite refuses a larger OFFSET outright (a 500 before this bound).
"""

MAX_PAGE = 1_000_000_000
