ALLOWED: dict[tuple[str, str, str], str] = {}
