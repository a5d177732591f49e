from __future__ import annotations

import pytest

from guard.diff import FileStatus, PatchError, parse_patch

GIT_DIFF = """\
diff --git a/pkg/io.py b/pkg/io.py
index 698e9b0..dfdc0e3 100644
--- a/pkg/io.py
+++ b/pkg/io.py
@@ -3,7 +3,8 @@ import os
 
 
 def join(a, b):
-    return os.path.join(a, b)
+    path = os.path.join(a, b)
+    return path
 
 
 def dump(x):
diff --git a/pkg/new.py b/pkg/new.py
new file mode 100644
index 0000000..e69de29
--- /dev/null
+++ b/pkg/new.py
@@ -0,0 +1,2 @@
+def g():
+    return 1
\\ No newline at end of file
diff --git a/pkg/old.py b/pkg/old.py
deleted file mode 100644
index 1111111..0000000
--- a/pkg/old.py
+++ /dev/null
@@ -1 +0,0 @@
-X = 1
diff --git a/pkg/a.py b/pkg/b.py
similarity index 90%
rename from pkg/a.py
rename to pkg/b.py
index 1..2 100644
--- a/pkg/a.py
+++ b/pkg/b.py
@@ -1 +1 @@
-A = 1
+B = 1
diff --git a/logo.png b/logo.png
index 1..2 100644
Binary files a/logo.png and b/logo.png differ
"""


def test_git_diff_statuses_and_lines() -> None:
    patch = parse_patch(GIT_DIFF)
    by_path = {f.path: f for f in patch.files}
    assert {p: f.status for p, f in by_path.items()} == {
        "pkg/io.py": FileStatus.MODIFIED,
        "pkg/new.py": FileStatus.ADDED,
        "pkg/old.py": FileStatus.DELETED,
        "pkg/b.py": FileStatus.RENAMED,
        "logo.png": FileStatus.MODIFIED,
    }
    assert by_path["pkg/io.py"].added_lines() == {6, 7}
    assert by_path["pkg/new.py"].hunks[0].no_newline_new
    assert by_path["pkg/b.py"].old_path == "pkg/a.py"
    assert by_path["logo.png"].binary and not by_path["logo.png"].is_python


def test_plain_diff_u_with_timestamps() -> None:
    text = (
        "--- a/mod.py\t2024-01-01 10:00:00.000000000 +0000\n"
        "+++ b/mod.py\t2024-01-02 10:00:00.000000000 +0000\n"
        "@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n"
    )
    (f,) = parse_patch(text).files
    assert f.path == "mod.py" and f.status is FileStatus.MODIFIED
    assert f.added_lines() == {2}


def test_format_patch_mail_with_signature() -> None:
    mail = (
        "From 1234 Mon Sep 17 00:00:00 2001\nFrom: A <a@example.com>\nSubject: [PATCH] Fix\n\n"
        "Body text.\n---\n mod.py | 2 +-\n 1 file changed\n\n"
        "diff --git a/mod.py b/mod.py\nindex 1..2 100644\n--- a/mod.py\n+++ b/mod.py\n"
        "@@ -1 +1 @@\n-x = 1\n+x = 2\n-- \n2.39.5\n\n"
    )
    (f,) = parse_patch(mail).files
    assert f.added_lines() == {1}
    assert f.hunks[0].lines == ("-x = 1", "+x = 2")


def test_crlf_patch_lines_are_read_without_carriage_returns() -> None:
    text = "--- a/m.py\r\n+++ b/m.py\r\n@@ -1 +1 @@\r\n-a = 1\r\n+a = 2\r\n"
    (f,) = parse_patch(text).files
    assert f.hunks[0].lines == ("-a = 1", "+a = 2")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("@@ -1 +1 @@\n-a\n+b\n", "hunk header without a file header"),
        ("--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n-a\n+b\n", "ends inside the hunk"),
        ("--- a/m.py\n+++ b/m.py\n@@ nonsense @@\n", "malformed hunk header"),
        ("--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-a\n-b\n", "does not fit the hunk's line counts"),
        ("just some text\n", "does not look like a unified diff"),
    ],
)
def test_malformed_patches_raise_with_location(text: str, fragment: str) -> None:
    with pytest.raises(PatchError, match=fragment):
        parse_patch(text)


def test_empty_patch_has_no_files() -> None:
    assert not parse_patch("")
    assert not parse_patch("\n\n")
