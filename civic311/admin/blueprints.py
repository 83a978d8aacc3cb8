from civic311.admin.city_views import bp as city_bp
from civic311.admin.support import note_support_entry
from civic311.admin.views import bp
from civic311.web.city import SUPPORT_ENTRY_HOOKS

if note_support_entry not in SUPPORT_ENTRY_HOOKS:  # each support visit is audited in the city's log
    SUPPORT_ENTRY_HOOKS.append(note_support_entry)

BLUEPRINTS = [bp, city_bp]
