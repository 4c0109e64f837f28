"""What the reader knows of the HDF5 layout (include/pairsweep/store.h): opening a file,
decoding strings and codes, reading a compound table into a DataFrame.

Written for the files pairsweep writes today (fixed-length byte strings, integer codes for
phase and status) and for the forms a later layout may take: variable-length or unicode
strings, and HDF5 enum types, whose names are then used.
"""
import contextlib
import os

import h5py
import numpy as np
import pandas as pd

# The codes of include/pairsweep/task.h (ps_phase) and train.h (ps_task_status).
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


def percent_factor(obj, column):
    """100, to turn a stored fraction into percent; 1 when the dataset's attributes say the
    column is already in percent (an attribute "<column>_units" or "units" of "%"/"percent")."""
    for key in (column + "_units", "units"):
        unit = attr(obj, key)
        if isinstance(unit, str) and unit.strip().lower() in ("%", "percent"):
            return 1.0
    return 100.0
