from aimc.cli import entry

entry()
