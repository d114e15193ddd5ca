#!/usr/bin/env python3
"""Writes Sources/FIXProtocol/FIXTags.generated.swift from the QuickFIX XML dictionaries that the
quickfix-ssl wheel installs (share/quickfix/FIX40.xml ... FIX50SP2.xml, FIXT11.xml).

What it writes, as packed text that FIXStandardTables parses once, on first use:
  fields    tag|name|type for every field of every version; a later version wins a clash.
  values    tag|value|description; the union over the versions, a later description wins.
  messages  msgType|name over all versions.
  dataPairs LENGTH tag -> DATA tag, from a LENGTH field directly followed by a DATA/XMLDATA field.
  groups44 / groups50  repeating-group layouts of FIX44.xml, and of FIXT11.xml + FIX50SP2.xml:
            "L countTag member,member,..." lines (the first member is the delimiter; a nested group
            is written countTag@index of an earlier L line), then "M msgType index,index,..." lines
            giving each message's top-level groups ("*" = header and trailer).

Run from the package root: python3 Scripts/generate-fix-tags.py
"""
import importlib.metadata
import os
import xml.etree.ElementTree as ET

import quickfix

VERSIONS = ["FIX40", "FIX41", "FIX42", "FIX43", "FIX44", "FIX50", "FIX50SP1", "FIX50SP2", "FIXT11"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Sources", "FIXProtocol", "FIXTags.generated.swift")


def dictionary_dir():
    return os.path.realpath(os.path.join(os.path.dirname(quickfix.__file__), "..", "..", "..", "share", "quickfix"))


def load(version):
    return ET.parse(os.path.join(dictionary_dir(), version + ".xml")).getroot()


def check(text):
    assert "|" not in text and "\n" not in text and '"""' not in text and "\\" not in text, text
    return text


class Resolver:
    """Expands components and groups of one or more dictionaries into layouts."""

    def __init__(self, roots):
        self.number = {}
        self.types = {}
        self.components = {}
        for root in roots:
            for field in root.find("fields"):
                self.number[field.get("name")] = int(field.get("number"))
                self.types[int(field.get("number"))] = field.get("type")
            components = root.find("components")
            if components is not None:
                for component in components:
                    self.components[component.get("name")] = component
        self.layouts = []  # canonical text per layout, in definition order
        self.index = {}
        self.pairs = {}

    def items(self, element, stack=()):
        """[(tag, layout index or None)] of an element's children, components expanded."""
        out = []
        for child in element:
            if child.tag == "field":
                out.append((self.number[child.get("name")], None))
            elif child.tag == "component":
                name = child.get("name")
                assert name not in stack, "component cycle " + name
                out.extend(self.items(self.components[name], stack + (name,)))
            elif child.tag == "group":
                members = self.items(child, stack)
                if not members:
                    out.append((self.number[child.get("name")], None))
                    continue
                text = "%d %s" % (self.number[child.get("name")], ",".join(
                    "%d" % tag if nested is None else "%d@%d" % (tag, nested) for tag, nested in members))
                if text not in self.index:
                    self.index[text] = len(self.layouts)
                    self.layouts.append(text)
                out.append((self.number[child.get("name")], self.index[text]))
        for (tag, _), (after, _) in zip(out, out[1:]):
            if self.types.get(tag) == "LENGTH" and self.types.get(after) in ("DATA", "XMLDATA"):
                self.pairs[tag] = after
        return out

    def message_groups(self, element):
        return [nested for _, nested in self.items(element) if nested is not None]


def groups_text(resolver, header_roots, message_roots):
    lines = []
    header = []
    for root in header_roots:
        for section in ("header", "trailer"):
            element = root.find(section)
            if element is not None:
                header += resolver.message_groups(element)
    messages = []
    if header:
        messages.append("M * " + ",".join(map(str, header)))
    for root in message_roots:
        for message in root.find("messages"):
            indices = resolver.message_groups(message)
            if indices:
                messages.append("M %s %s" % (check(message.get("msgtype")), ",".join(map(str, indices))))
    lines = ["L " + text for text in resolver.layouts] + messages
    return "\n".join(lines)


def literal(text):
    return '"""\n' + text + '\n"""'


def main():
    fields, values, messages = {}, {}, {}
    pairs = {}
    for version in VERSIONS:
        root = load(version)
        for field in root.find("fields"):
            tag = int(field.get("number"))
            fields[tag] = (check(field.get("name")), check(field.get("type")))
            for value in field.findall("value"):
                values.setdefault(tag, {})[check(value.get("enum"))] = check(value.get("description"))
        for message in root.find("messages"):
            messages[check(message.get("msgtype"))] = check(message.get("name"))
        resolver = Resolver([root] if version != "FIXT11" else [root])
        for section in ("header", "trailer"):
            element = root.find(section)
            if element is not None:
                resolver.items(element)
        for message in root.find("messages"):
            resolver.items(message)
        pairs.update(resolver.pairs)

    fix44 = Resolver([load("FIX44")])
    groups44 = groups_text(fix44, [load("FIX44")], [load("FIX44")])
    fix50 = Resolver([load("FIXT11"), load("FIX50SP2")])
    groups50 = groups_text(fix50, [load("FIXT11")], [load("FIXT11"), load("FIX50SP2")])

    field_lines = "\n".join("%d|%s|%s" % (tag, name, kind) for tag, (name, kind) in sorted(fields.items()))
    value_lines = "\n".join("%d|%s|%s" % (tag, enum, text)
                            for tag in sorted(values) for enum, text in values[tag].items())
    message_lines = "\n".join("%s|%s" % item for item in sorted(messages.items()))
    pair_text = ", ".join("%d: %d" % item for item in sorted(pairs.items()))
    version = importlib.metadata.version("quickfix-ssl")

    source = f"""// GENERATED by Scripts/generate-fix-tags.py from quickfix-ssl {version} — do not edit.

/// The standard FIX tables, packed as text so the file compiles in a moment; `FIXStandardTables`
/// parses them once, on first use.
enum FIXTagsGenerated {{
    /// The quickfix-ssl version the tables come from.
    static let source = "quickfix-ssl {version}"

    /// `tag|name|type`, one field a line, sorted by tag: FIX 4.0 to 5.0 SP2 and FIXT 1.1, a later
    /// version winning a clash.
    static let fields: StaticString = {literal(field_lines)}

    /// `tag|value|description`: the enumerated values of all versions, a later description winning.
    static let values: StaticString = {literal(value_lines)}

    /// `msgType|name` for every message of every version.
    static let messages: StaticString = {literal(message_lines)}

    /// LENGTH tag → DATA tag, wherever a LENGTH field is directly followed by a DATA or XMLDATA field.
    static let dataPairs: [Int: Int] = [{pair_text}]

    /// FIX44.xml repeating groups: `L countTag members` layouts (first member = delimiter,
    /// `tag@n` = nested layout n), then `M msgType layouts` (`*` = header and trailer).
    static let groups44: StaticString = {literal(groups44)}

    /// FIXT11.xml + FIX50SP2.xml repeating groups, in the format of `groups44`.
    static let groups50: StaticString = {literal(groups50)}
}}
"""
    with open(OUT, "w", encoding="utf-8") as handle:
        handle.write(source)
    print("wrote %s: %d fields, %d values, %d messages, %d data pairs, %d/%d layouts" % (
        OUT, len(fields), sum(len(v) for v in values.values()), len(messages), len(pairs),
        len(fix44.layouts), len(fix50.layouts)))


if __name__ == "__main__":
    main()
