"""Reference-versus-production timings (`nox -s bench`)."""
