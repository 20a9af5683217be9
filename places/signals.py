"""What the postcode directory tells the rest of the site.

`postcodes_imported` is sent after `import_postcodes` has written the directory.
Apps whose records carry postcodes listen for it (the register places its
initiatives), so this app needs to know nothing about them. Each receiver returns
a line for the command's output.
"""

from django.dispatch import Signal

postcodes_imported = Signal()
