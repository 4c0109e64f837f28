"""What the reader knows of the HDF5 layout (docs/results-format.md): opening a file, decoding
strings and codes, reading a compound table into a DataFrame, units.

Reads both formats: format 2 (root attribute format_version; phase and status HDF5 enums,
whose names are used; `units` attributes) and format 1 (files written before it: integer
codes, named here from PHASES and STATUSES; no units, accuracies were fractions). Strings may
be fixed-length, variable-length or unicode.
"""
import contextlib
import os

import h5py
import numpy as np
import pandas as pd

# The names of the codes for format 1 files, which have no enum types (include/pairsweep/task.h
# PS_PHASES and train.h PS_TASK_STATUSES: codes never change meaning, and a format 1 file has
# no audit or pruned rows, but the categories are those of a format 2 file, so frames of old
# and new files compare and concatenate). Format 2 files name their codes.
PHASES = ("select", "final", "audit")
STATUSES = ("done", "diverged", "failed", "pruned")


@contextlib.contextmanager
def open_results(source):
    """Yields an open h5py.File for a path (closed afterwards) or the h5py File/Group given."""
    if isinstance(source, (h5py.File, h5py.Group)):
        yield source
        return
    with h5py.File(os.fspath(source), "r") as f:
        yield f


def file_path(source):
    """The file name behind a path or an open h5py object."""
    if isinstance(source, (h5py.File, h5py.Group)):
        return source.file.filename
    return os.fspath(source)


def decode(value):
    """str from bytes, numpy bytes or str; a one-element array (an H5LT attribute) is
    unwrapped first. Other values are returned as they are."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", errors="replace").rstrip("\0")
    if isinstance(value, np.str_):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def attr(obj, name, default=None):
    """Attribute name of an h5py object, decoded (see decode), or default."""
    if name not in obj.attrs:
        return default
    return decode(obj.attrs[name])


def _enum_names(dtype, fallback):
    """Code -> name for a column: the HDF5 enum's names when the column is an enum (lower
    case, without the prefix the names share, e.g. PS_TASK_), else the fallback table."""
    mapping = h5py.check_enum_dtype(dtype)
    if not mapping:
        return dict(enumerate(fallback))
    names = {int(v): k for k, v in mapping.items()}
    prefix = os.path.commonprefix(list(names.values()))
    prefix = prefix[:prefix.rfind("_") + 1] if len(names) > 1 else ""
    return {v: k[len(prefix):].lower() for v, k in names.items()}


def categorical(codes, dtype, fallback):
    """Integer codes as a pandas Categorical whose categories are the names, in code order."""
    names = _enum_names(dtype, fallback)
    cats = [names[k] for k in sorted(names)]
    return pd.Categorical.from_codes(
        [sorted(names).index(int(c)) if int(c) in names else -1 for c in codes],
        categories=cats)


def table(f, name, enums=None):
    """The compound dataset f[name] as a DataFrame: string columns decoded to str, the columns
    in enums ({column: fallback names}) as Categoricals. An absent table gives an empty
    DataFrame."""
    if name not in f:
        return pd.DataFrame()
    arr = f[name][()]
    out = {}
    for col in arr.dtype.names:
        ftype = arr.dtype.fields[col][0]
        values = arr[col]
        if enums and col in enums:
            out[col] = categorical(values, ftype, enums[col])
        elif ftype.kind in "SUO":
            out[col] = np.array([decode(v) for v in values], dtype=object)
        else:
            out[col] = values
    return pd.DataFrame(out, columns=list(arr.dtype.names))


def unit(obj, column=None):
    """The unit of a dataset (its `units` attribute) or of a column of a table (the member
    named column of the table's compound `units` attribute), as str; None when the file does
    not say (format 1 files, columns that are not metrics)."""
    if "units" not in obj.attrs:
        return None
    value = obj.attrs["units"]
    names = getattr(getattr(value, "dtype", None), "names", None)
    if names:
        return decode(value[column]) if column in names else None
    return decode(value)


def percent_factor(obj, column):
    """The factor that turns the stored accuracy `column` of obj into percent: 100 for
    "fraction" (and for format 1 files, whose accuracies are fractions without a unit), 1 for
    "%" or "percent"."""
    u = unit(obj, column)
    if u is None or u.strip().lower() == "fraction":
        return 100.0
    if u.strip().lower() in ("%", "percent"):
        return 1.0
    raise ValueError("%s: column %s has the unit %r, expected a fraction or percent"
                     % (obj.name, column, u))
