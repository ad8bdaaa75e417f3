"""What an uploaded .xlsx unpacks to, judged from its zip directory before anything is parsed.

An .xlsx is a zip of XML files. A small upload can unpack to hundreds of megabytes (a zip bomb, or a sheet
formatted down to its last row), and the XML parser's work grows with the unpacked size, not the upload's.
The sizes read here are the ones the zip declares: Python's zipfile never inflates a member past its declared
size (it fails the CRC check instead), so they bound what the parser can be made to read.
"""

from __future__ import annotations

import zipfile
from typing import BinaryIO

from realname_registry.excel.model import SheetError

MAX_UNZIPPED_BYTES = 256 * 1024 * 1024  # ~3x what 50,000 full rows take
MAX_ZIP_MEMBERS = 1_000
# Excel's own XML packs 5-20 to 1 (every cell names its address, so no two rows are alike); deflate's limit is
# ~1,000 to 1. Past 100 to 1 the XML repeats itself, which only a generated file does: a bomb. Members under
# RATIO_FLOOR unpack to too little to matter, whatever their ratio.
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024


def not_an_xlsx() -> SheetError:
    return SheetError("not_an_xlsx", "无法读取该文件：请上传用导入模板填写的 Excel 文件（.xlsx）",
                      "The file is not a readable .xlsx workbook")


def unpacks_too_large() -> SheetError:
    return SheetError("workbook_too_large",
                      "该文件解压后过大，通常是数据下方有大量空白行或整列设置了格式：请删除数据下方的空白行和"
                      "多余的列后另存为 .xlsx 再上传；行数很多时请分成几个文件",
                      "The workbook unpacks to far more than its rows need, usually because of blank rows or "
                      "formatting below the data: delete the rows and columns below and right of the data, "
                      "save it again and upload it; split a very long sheet into several files")


def check_archive(buffer: BinaryIO) -> None:
    """Raise SheetError unless the workbook's zip members are few, of a bounded unpacked size and ratio."""
    try:
        with zipfile.ZipFile(buffer) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise not_an_xlsx() from exc
    finally:
        buffer.seek(0)
    if len(members) > MAX_ZIP_MEMBERS:
        raise not_an_xlsx()
    if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES or any(_bomb(m) for m in members):
        raise unpacks_too_large()


def _bomb(member: zipfile.ZipInfo) -> bool:
    return member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1)
