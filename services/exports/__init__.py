"""Exports: CSV and Excel exports of the filtered user list, built in the background from
this service's own projection of `user.*`. Not built yet: see the issues and DESIGN.md."""
