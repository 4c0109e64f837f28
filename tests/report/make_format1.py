"""Writes OLD.h5, the same study as NEW.h5 (a format-2 pairsweep results file) in the layout of
format 1, as pairsweep wrote it before the root attribute format_version existed: phase and
status plain int32, strings of the C structs' fixed sizes (task_id 17, model 48, reason 128,
arch 160 bytes: longer architectures cut to 159 characters, as format 1 did), no `units`
attributes, no /curves/task_id, weight groups without attributes. H5TB's own attributes
(CLASS, VERSION, TITLE, FIELD_i_NAME) are written as H5TB wrote them.

A test fixture made on the fly (no binary file in the repository): the store and report tests
check that files of format 1 are read, resumed and merged. Usage: make_format1.py NEW OLD"""
import sys

import h5py
import numpy as np

STR_SIZES = {"task_id": 17, "model": 48, "reason": 128, "arch": 160}
TITLES = {"tasks": "finished tasks", "grid": "grid points", "selection": "selection per model",
          "models": "models", "plan": "planned tasks"}


def c_string(size):
    """HDF5's C string type of size bytes, NUL-terminated (as the store's and H5LT's)."""
    t = h5py.h5t.C_S1.copy()
    t.set_size(size)
    t.set_strpad(h5py.h5t.STR_NULLTERM)
    return t


def h5lt_string(obj, name, value):
    """A fixed-length NUL-terminated string attribute, as H5LTset_attribute_string writes."""
    data = value.encode() if isinstance(value, str) else bytes(value).rstrip(b"\0")
    a = h5py.h5a.create(obj.id, name.encode(), c_string(len(data) + 1),
                        h5py.h5s.create(h5py.h5s.SCALAR))
    a.write(np.array(data, dtype="S%d" % (len(data) + 1)))


def copy_attr(src, dst, name):
    """A root attribute as it is, strings re-made as H5LT's."""
    value = src.attrs[name]
    if src.attrs.get_id(name).dtype.kind == "S":
        h5lt_string(dst, name, value)
    else:
        dst.attrs.create(name, value, dtype=src.attrs.get_id(name).dtype)


def old_dtype(dtype):
    """The format-1 row: strings of the C sizes, enums as int32, C alignment."""
    fields = []
    for name in dtype.names:
        ftype = dtype.fields[name][0]
        if ftype.kind == "S":
            fields.append((name, "S%d" % STR_SIZES.get(name, ftype.itemsize)))
        elif h5py.check_enum_dtype(ftype):
            fields.append((name, "<i4"))
        else:
            fields.append((name, ftype))
    return np.dtype(fields, align=True)


def file_type(dtype):
    """The HDF5 compound type of rows of dtype, with NUL-terminated strings."""
    tid = h5py.h5t.create(h5py.h5t.COMPOUND, dtype.itemsize)
    for name in dtype.names:
        ftype, offset = dtype.fields[name][:2]
        member = c_string(ftype.itemsize) if ftype.kind == "S" else h5py.h5t.py_create(ftype)
        tid.insert(name.encode(), offset, member)
    return tid


def copy_table(src, dst, name):
    rows = src[name][()]
    dtype = old_dtype(rows.dtype)
    old = np.zeros(len(rows), dtype=dtype)
    for col in dtype.names:
        values = rows[col]
        if dtype.fields[col][0].kind == "S":  # cut as a C buffer would: NUL at the end
            size = dtype.fields[col][0].itemsize
            values = [bytes(v)[:size - 1] for v in values]
        old[col] = values
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((64,))
    dcpl.set_deflate(6)
    space = h5py.h5s.create_simple((len(old),), (h5py.h5s.UNLIMITED,))
    did = h5py.h5d.create(dst.id, name.encode(), file_type(dtype), space, dcpl=dcpl)
    if len(old):
        did.write(h5py.h5s.ALL, h5py.h5s.ALL, old)
    d = dst[name]
    h5lt_string(d, "CLASS", "TABLE")
    h5lt_string(d, "VERSION", "3.0")
    h5lt_string(d, "TITLE", TITLES[name])
    for i, col in enumerate(dtype.names):
        h5lt_string(d, "FIELD_%d_NAME" % i, col)


def main():
    new_path, old_path = sys.argv[1], sys.argv[2]
    with h5py.File(new_path, "r") as src, h5py.File(old_path, "w") as dst:
        assert int(src.attrs["format_version"]) == 2, "NEW.h5 is not of format 2"
        for k in src.attrs:
            if k != "format_version":
                copy_attr(src, dst, k)
        for name in TITLES:
            if name in src:
                copy_table(src, dst, name)
        curves = dst.create_group("curves")
        for k in ("train_loss", "train_acc", "eval_loss", "eval_acc"):
            curves.create_dataset(k, data=src["curves"][k][()], maxshape=(None, None),
                                  chunks=(64, 32), fillvalue=np.float32("nan"))
        src.copy(src["weights"], dst, "weights")
        for group in dst["weights"].values():
            for k in list(group.attrs):
                del group.attrs[k]
    print("format 1:", old_path)


main()
