"""The table both plug-ins register their GIMP procedures from (gimp_plugin/shared/hintcolor_procedures.py)
holds only what each GIMP accepts; tests/test_gimp.py and tests/test_gimp2.py check what they register."""
import pytest

from plugin_modules import shared_module

table = shared_module("hintcolor_procedures")


@pytest.mark.parametrize("gimp", [table.GIMP3, table.GIMP2])
def test_every_declared_procedure_can_be_registered(gimp):
    """A default outside its choices or limits, a missing text, or a name twice would make GIMP refuse
    the procedure (or the plug-in), and its menu item would be missing."""
    entries = table.procedures(gimp)
    assert len({entry.name for entry in entries}) == len(entries)
    for entry in entries:
        assert entry.name.startswith("plug-in-hintcolor-") and entry.label.count("_") == 1, entry.name
        assert all(isinstance(text, str) and text for text in (entry.blurb, entry.help, entry.image_types)), entry.name
        assert len({param.name for param in entry.params}) == len(entry.params), entry.name
        for param in entry.params:
            if param.kind == table.CHOICE:
                assert param.default in param.nicks() and len(set(param.nicks())) == len(param.choices), param
            elif param.kind == table.INT:
                low, high, step = param.limits
                assert low <= param.default <= high and step > 0, param
            elif param.kind in (table.LAYER, table.OPEN_FILE, table.SAVE_FILE):
                assert param.default is None, param  # none chosen until the user or a script chooses
        assert table.procedure(gimp, entry.name) is entry

