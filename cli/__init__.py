"""The command line behind `python manage.py <command>`: one module per part of the work, each declaring its
commands as data (`cli.command.Command`), gathered in order by `cli.registry.commands()`.

Commands may print and prompt; the rules they apply live in services/, which never do.
"""
