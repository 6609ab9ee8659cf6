"""Shared abstract bases. Concrete models live in the domain apps."""
