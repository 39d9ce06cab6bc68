"""Which source field a role field (hazard class, municipality ID, …) most likely is.

Used by the dialog to fill the field parameters when a layer is chosen, and at run time to warn when
a layer with fields runs with none mapped. Only the layer's field list is read, never its features.
"""

from qgis.PyQt.QtCore import QVariant

INTEGER_TYPES = (QVariant.Int, QVariant.UInt, QVariant.LongLong, QVariant.ULongLong)
NUMBER_TYPES = INTEGER_TYPES + (QVariant.Double,)
# What a role field's values can plausibly be stored as; a role field not listed takes a code
# (integer or text). A real-valued field is never a class, an ID or a category.
PLAUSIBLE_TYPES = {
    'name': (QVariant.String,),
    'country': (QVariant.String,),
    'order': NUMBER_TYPES,
}
CODE_TYPES = INTEGER_TYPES + (QVariant.String,)


def attribute_fields(layer):
    """The layer's fields without its primary key (the GeoPackage fid QGIS shows as a field)."""
    if layer is None:
        return []
    keys = set(layer.primaryKeyAttributes()) if hasattr(layer, 'primaryKeyAttributes') else set()
    return [field for index, field in enumerate(layer.fields()) if index not in keys]


def named_like(layer, role_field):
    """A field of the role field's own name (any case): the CLI maps it without being told."""
    for field in attribute_fields(layer):
        if field.name().lower() == role_field.lower():
            return field.name()
    return None


def likely_field(layer, role_field):
    """The field to map `role_field` to: one of its own name, else the only field of a plausible type.

    None when there is no such field or several could be it (the user chooses).
    """
    same_name = named_like(layer, role_field)
    if same_name:
        return same_name
    types = PLAUSIBLE_TYPES.get(role_field, CODE_TYPES)
    candidates = [field.name() for field in attribute_fields(layer) if field.type() in types]
    return candidates[0] if len(candidates) == 1 else None
