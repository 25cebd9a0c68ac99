"""The hostile month: every kind of bad file a careless or hostile sender drops into a batch,
beside the month's good forms, each with the outcome it must get.

``build_month(batch, outside, catalog)`` writes the 2013-07 batch folder: the demo month's
seven good forms (three of them edited the way offices edit: a remark in column H, markup in
a remark, a ``<dimension>`` claiming the whole sheet), its 重点工作进展.csv saved as GBK, a
排名.csv whose bad rows are cases of their own, and one entry per case below. ``CASES`` says
for each case where it comes from (``issue``: found by the attack in issue 16; ``own``: added
here) and what it must get: a file's status and code, or a status-file row's code.
"""

from __future__ import annotations

import os

from jzplan.core.periods import Period
from tests.hostile import builders as b
from tests.hostile.kinds import (
    BACKSLASH_NAME,
    COPY,
    DRAFT,
    LONG_ISSUER,
    NEWLINE_NAME,
    PROGRESS,
    RTL_NAME,
    TWIN_A,
    TWIN_B,
    Case,
    Expect,
    big_csv,
    dimension,
    draft,
    form,
    form_name,
    formula,
    huge_field,
    markup_remark,
    outside_fifo,
    outside_form,
    progress,
    put,
    rank,
    rank_row,
    raw_number,
    remark,
    subfolder,
    symlink,
    twins,
    wide_csv,
    write,
    xml,
)
from tests.ingest import corpus

P = Period
R = "rejected"
A = "accepted"
X = "refused"

CASES: tuple[Case, ...] = (
    # ---- found by the attack (issue 16)
    Case(
        "remark_beside_row",
        "issue",
        "备注 in column H beside 地方财政收入 of a good form",
        remark,
        (Expect(form_name("宁郭镇"), A, "remark_beside_row"),),
    ),
    Case(
        "formula_without_value",
        "issue",
        "a formula saved without its value (openpyxl)",
        formula,
        (Expect(form_name("阳庙镇", P(2012, 11)), A, "formula_without_value"),),
    ),
    Case(
        "infinite_number",
        "issue",
        "1E999 stored as a number",
        raw_number("文苑街道", P(2012, 8), form_name("文苑街道", P(2012, 8)), "E9", "1E999"),
        (Expect(form_name("文苑街道", P(2012, 8)), A, "non_finite_number"),),
    ),
    Case(
        "nan_text",
        "issue",
        "NaN typed in a figure cell of a CSV",
        form(
            "阳庙镇",
            P(2012, 8),
            form_name("阳庙镇", P(2012, 8), ext="csv"),
            put("E7", "NaN"),
            ext="csv",
        ),
        (Expect(form_name("阳庙镇", P(2012, 8), ext="csv"), A, "non_finite_number"),),
    ),
    Case(
        "draft_after_final",
        "issue",
        "a draft (填报日期 8月2日) named to sort after the final (8月4日)",
        draft,
        (Expect(DRAFT, "stale", "stale_submission"), Expect(form_name("李万街道"), A)),
    ),
    Case(
        "symlink_environ",
        "issue",
        "symlink to /proc/self/environ",
        symlink("environ.csv", lambda p: "/proc/self/environ"),
        (Expect("environ.csv", X, "symlink_refused"),),
    ),
    Case(
        "symlink_passwd",
        "issue",
        "symlink to /etc/passwd",
        symlink("passwd.xlsx", lambda p: "/etc/passwd"),
        (Expect("passwd.xlsx", X, "symlink_refused"),),
    ),
    Case(
        "symlink_form_elsewhere",
        "issue",
        "symlink to a form outside the inbox",
        symlink(form_name("李万街道", qualifier="(2)"), outside_form),
        (Expect(form_name("李万街道", qualifier="(2)"), X, "symlink_refused"),),
    ),
    Case(
        "backslash_name",
        "issue",
        "a name starting with ..\\",
        write(BACKSLASH_NAME, lambda p: b.demo_form("宁郭镇").read_bytes()),
        (Expect(BACKSLASH_NAME, X, "unsafe_name"),),
    ),
    Case(
        "huge_csv_field",
        "issue",
        "a CSV form with a 50 MB field",
        huge_field,
        (Expect(form_name("阳庙镇", qualifier="(长字段)", ext="csv"), R, "file_too_large"),),
    ),
    Case(
        "status_gbk",
        "issue",
        "重点工作进展.csv saved as GBK",
        lambda p: None,
        (Expect(PROGRESS, "read"),),
    ),
    Case(
        "long_reporter",
        "issue",
        "an 80-character 报送单位 in 重点工作进展.csv",
        progress(60, "P07", "正常推进", "按计划推进", LONG_ISSUER, "2013-08-03"),
        (Expect(f"{PROGRESS}:60", "row_left_out", "text_too_long"),),
    ),
    Case(
        "rank_3e9",
        "issue",
        "a rank of 3,000,000,000",
        rank(
            3,
            "焦作新区",
            "全省城市新区经济总量位次",
            "3000000000",
            "20",
            "河南省发展和改革委员会",
            "2013-08-02",
        ),
        (Expect(rank_row(3), "row_left_out", "rank_out_of_range"),),
    ),
    Case(
        "rank_1e20",
        "issue",
        "a rank of 1e20",
        rank(
            4,
            "焦作新区",
            "全省城市新区经济总量位次",
            "1e20",
            "20",
            "河南省发展和改革委员会",
            "2013-08-02",
        ),
        (Expect(rank_row(4), "row_left_out", "not_an_integer"),),
    ),
    Case(
        "rank_beyond_int",
        "issue",
        "a rank of 100000000000000000000",
        rank(
            5,
            "焦作新区",
            "全省城市新区经济总量位次",
            "100000000000000000000",
            "20",
            "河南省发展和改革委员会",
            "2013-08-02",
        ),
        (Expect(rank_row(5), "row_left_out", "rank_out_of_range"),),
    ),
    Case(
        "long_issuer",
        "issue",
        "an 80-character 发布单位 in 排名.csv",
        rank(6, "焦作新区", "全省城市新区经济总量位次", "7", "20", LONG_ISSUER, "2013-08-02"),
        (Expect(rank_row(6), "row_left_out", "text_too_long"),),
    ),
    Case(
        "dimension_claim",
        "issue",
        "a good form whose <dimension> claims A1:XFD1048576",
        dimension,
        (Expect(form_name("文昌街道"), A),),
    ),
    Case(
        "unknown_names_2m",
        "issue",
        "a 2M-row CSV of unknown indicator names",
        big_csv(
            form_name("宁郭镇", qualifier="(明细)", ext="csv"),
            lambda i: [str(i), f"未知指标{i}", "万元", "1", "2"],
        ),
        (Expect(form_name("宁郭镇", qualifier="(明细)", ext="csv"), R, "file_too_large"),),
    ),
    Case(
        "repeated_indicator_2m",
        "issue",
        "a 2M-row CSV of one indicator repeated",
        big_csv(
            form_name("宁郭镇", qualifier="(重复)", ext="csv"),
            lambda i: [str(i), "工业增加值", "万元", "1", "2"],
        ),
        (Expect(form_name("宁郭镇", qualifier="(重复)", ext="csv"), R, "file_too_large"),),
    ),
    Case(
        "encrypted_xlsx",
        "issue",
        "an xlsx saved with a password (OLE2 EncryptedPackage)",
        lambda p: b.cfb_encrypted(p.path(form_name("阳庙镇", qualifier="(加密)"))),
        (Expect(form_name("阳庙镇", qualifier="(加密)"), R, "encrypted_file"),),
    ),
    Case(
        "newline_name",
        "issue",
        "a name with a newline forging a log line",
        write(NEWLINE_NAME, lambda p: b.demo_form("阳庙镇").read_bytes()),
        (Expect(NEWLINE_NAME, X, "unsafe_name"),),
    ),
    Case(
        "markup_remark",
        "issue",
        "markup and table-breaking text in a remark",
        markup_remark,
        (Expect(form_name("阳庙镇"), A, "remark_beside_row"),),
    ),
    Case(
        "entity_bomb",
        "issue",
        "an XML entity bomb in the sheet",
        xml(form_name("文昌街道", qualifier="(炸弹)"), "文昌街道", b.entity_bomb),
        (Expect(form_name("文昌街道", qualifier="(炸弹)"), R, "unreadable_file"),),
    ),
    Case(
        "xxe",
        "issue",
        "an external entity naming /etc/passwd",
        xml(form_name("文昌街道", qualifier="(外部实体)"), "文昌街道", b.external_entity),
        (Expect(form_name("文昌街道", qualifier="(外部实体)"), R, "unreadable_file"),),
    ),
    Case(
        "macro",
        "issue",
        "an .xlsm with a vbaProject",
        lambda p: b.add_macro(
            b.demo_form("苏家作乡"), p.path(form_name("苏家作乡", qualifier="(宏)", ext="xlsm"))
        ),
        (Expect(form_name("苏家作乡", qualifier="(宏)", ext="xlsm"), R, "macro_workbook"),),
    ),
    Case(
        "corrupt_zip",
        "issue",
        "an xlsx cut in half",
        lambda p: b.corrupt_zip(
            b.demo_form("苏家作乡"), p.path(form_name("苏家作乡", qualifier="(损坏)"))
        ),
        (Expect(form_name("苏家作乡", qualifier="(损坏)"), R, "unreadable_file"),),
    ),
    Case(
        "script_indicator",
        "issue",
        "<img onerror> as an indicator name",
        form(
            "宁郭镇",
            P(2012, 10),
            form_name("宁郭镇", P(2012, 10)),
            put("B6", "<img src=x onerror=alert(1)>"),
        ),
        (Expect(form_name("宁郭镇", P(2012, 10)), A, "unknown_indicator"),),
    ),
    Case(
        "same_bytes_twice",
        "issue",
        "a good form again under a copy's name",
        write(COPY, lambda p: b.demo_form("文苑街道").read_bytes()),
        (Expect(COPY, "duplicate"), Expect(form_name("文苑街道"), A)),
    ),
    Case(
        "fifo",
        "issue",
        "a FIFO named like a form",
        lambda p: os.mkfifo(p.path("管道.xlsx")),
        (Expect("管道.xlsx", X, "not_a_regular_file"),),
    ),
    Case(
        "subfolder",
        "issue",
        "a sub-folder holding a form",
        subfolder,
        (Expect("补报", X, "not_a_regular_file"),),
    ),
    Case(
        "dangling_symlink",
        "issue",
        "a dangling symlink",
        symlink("悬空.xlsx", lambda p: p.outside / "missing.xlsx"),
        (Expect("悬空.xlsx", X, "symlink_refused"),),
    ),
    Case(
        "symlink_fifo",
        "issue",
        "a symlink to a FIFO outside the inbox (hangs if followed)",
        symlink("阻塞.csv", outside_fifo),
        (Expect("阻塞.csv", X, "symlink_refused"),),
    ),
    Case(
        "rtl_name",
        "issue",
        "a name with U+202E (right-to-left override)",
        write(RTL_NAME, b"a,b\n"),
        (Expect(RTL_NAME, X, "unsafe_name"),),
    ),
    Case(
        "twins_same_date",
        "issue",
        "two forms of one unit and month, same 填报日期, other figures",
        twins,
        (
            Expect(TWIN_A, "held", "conflicting_submissions"),
            Expect(TWIN_B, "held", "conflicting_submissions"),
        ),
    ),
    Case(
        "rank_zero",
        "issue",
        "a rank of 0",
        rank(
            7,
            "焦作新区",
            "全省城市新区经济总量位次",
            "0",
            "20",
            "河南省发展和改革委员会",
            "2013-08-02",
        ),
        (Expect(rank_row(7), "row_left_out", "rank_out_of_range"),),
    ),
    Case(
        "rank_past_total",
        "issue",
        "a rank past 参评总数",
        rank(
            8,
            "焦作新区",
            "全省城市新区经济总量位次",
            "21",
            "20",
            "河南省发展和改革委员会",
            "2013-08-02",
        ),
        (Expect(rank_row(8), "row_left_out", "rank_past_total"),),
    ),
    # ---- added here
    Case(
        "zip_bomb",
        "own",
        "an xlsx with a 1 GiB member of zeros (about 1 MiB on disk)",
        lambda p: b.zip_bomb(
            b.demo_form("文苑街道"), p.path(form_name("文苑街道", qualifier="(膨胀)"))
        ),
        (Expect(form_name("文苑街道", qualifier="(膨胀)"), R, "xlsx_too_large_uncompressed"),),
    ),
    Case(
        "wide_csv",
        "own",
        "a CSV form with a row of 5,000 columns",
        wide_csv,
        (Expect(form_name("文苑街道", qualifier="(宽表)", ext="csv"), R, "too_many_columns"),),
    ),
    Case(
        "number_1e300",
        "own",
        "1E300 in a figure cell",
        raw_number("文昌街道", P(2012, 8), form_name("文昌街道", P(2012, 8)), "E9", "1E300"),
        (Expect(form_name("文昌街道", P(2012, 8)), R, "number_out_of_range"),),
    ),
    Case(
        "empty_file",
        "own",
        "a 0-byte .xlsx",
        write(form_name("李万街道", qualifier="(空)"), b""),
        (Expect(form_name("李万街道", qualifier="(空)"), R, "empty_file"),),
    ),
    Case(
        "png_as_xlsx",
        "own",
        "a PNG renamed .xlsx",
        write(form_name("李万街道", qualifier="(截图)"), b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
        (Expect(form_name("李万街道", qualifier="(截图)"), R, "unreadable_file"),),
    ),
    Case(
        "utf16_text",
        "own",
        "Excel's “Unicode text”: UTF-16 with a BOM, tab-separated, named .csv (read)",
        lambda p: p.path(form_name("宁郭镇", P(2012, 7), ext="csv")).write_bytes(
            corpus.csv_text(
                corpus.standard(p.catalog, unit=p.code("宁郭镇"), period=P(2012, 7)), "\t"
            ).encode("utf-16")
        ),
        (Expect(form_name("宁郭镇", P(2012, 7), ext="csv"), A, None),),
    ),
    Case(
        "unknown_unit",
        "own",
        "填报单位 of a township that is not in the area",
        form("阳庙镇", P(2012, 6), form_name("阳庙镇", P(2012, 6)), put("A2", "填报单位：某某乡")),
        (Expect(form_name("阳庙镇", P(2012, 6)), R, "unknown_org_unit"),),
    ),
    Case(
        "period_after_batch",
        "own",
        "a report for 2013-08 in the July batch",
        form("文苑街道", P(2013, 8), form_name("文苑街道", P(2013, 8))),
        (Expect(form_name("文苑街道", P(2013, 8)), R, "period_after_arrival"),),
    ),
    Case(
        "unit_mismatch",
        "own",
        "named 李万街道, filled in as 文昌街道",
        lambda p: p.corpus_form("文昌街道", P(2012, 5), form_name("李万街道", P(2012, 5))),
        (Expect(form_name("李万街道", P(2012, 5)), R, "org_unit_mismatch"),),
    ),
    Case(
        "approx_text",
        "own",
        "约1300 in a figure cell of an .xls",
        form(
            "苏家作乡",
            P(2012, 4),
            form_name("苏家作乡", P(2012, 4), ext="xls"),
            put("E7", "约1300"),
            ext="xls",
        ),
        (Expect(form_name("苏家作乡", P(2012, 4), ext="xls"), A, "not_a_number"),),
    ),
    Case(
        "truncated_xls",
        "own",
        "an .xls cut short",
        lambda p: p.path(form_name("苏家作乡", P(2012, 3), ext="xls")).write_bytes(
            corpus.write(
                corpus.standard(p.catalog, unit=p.code("苏家作乡"), period=P(2012, 3)),
                p.outside / "t.xls",
            ).read_bytes()[:3000]
        ),
        (Expect(form_name("苏家作乡", P(2012, 3), ext="xls"), R, "unreadable_file"),),
    ),
    Case(
        "nul_in_figure",
        "own",
        "a NUL byte inside a figure of a CSV form (a broken export)",
        lambda p: p.path(form_name("李万街道", P(2012, 6), ext="csv")).write_bytes(
            corpus.csv_text(corpus.standard(p.catalog, unit=p.code("李万街道"), period=P(2012, 6)))
            .encode("utf-8")
            .replace(b",4.35,", b",4.3\x005,", 1)
        ),
        (Expect(form_name("李万街道", P(2012, 6), ext="csv"), A, "not_a_number"),),
    ),
    Case(
        "pdf",
        "own",
        "a .pdf among the forms",
        write("说明.pdf", b"%PDF-1.4\n%\xe2\xe3\n"),
        (Expect("说明.pdf", X, "unsupported_format"),),
    ),
    Case(
        "figure_below_footer",
        "own",
        "a figure row pasted under the 填报人 line",
        form(
            "文苑街道",
            P(2012, 10),
            form_name("文苑街道", P(2012, 10)),
            lambda t: t.main.rows.append(t.main.rows.pop(corpus.FIRST_DATA_ROW + 3)),
        ),
        (Expect(form_name("文苑街道", P(2012, 10)), A),),
    ),
    Case(
        "negative_count",
        "own",
        "a negative 城镇新增就业",
        form("李万街道", P(2012, 7), form_name("李万街道", P(2012, 7)), put("E6", -5)),
        (Expect(form_name("李万街道", P(2012, 7)), R, "negative_value"),),
    ),
)
