#!/usr/bin/env python3
"""Writes a corpus of files into the directory $1 (tests/fixtures/linguist_generated.sh): every
check of linguist 7.22.1's generated.rb (src/source/git/linguist/generated.rs ports them) hit at
least once, with near misses next to them (a line of 110 bytes against 111, a marker on line 40
against 41, odd extensions). tests/oracle.rs compares `files.is_generated` with linguist's own
answer on each. Deterministic: random contents come from a fixed seed."""
import os, random, sys

ROOT = sys.argv[1]
files = {}

def f(path, data=b"x\n"):
    if isinstance(data, str):
        data = data.encode("utf-8")
    assert path not in files, path
    files[path] = data

def lines(*ls, sep="\n", end=None):
    """The lines joined by sep, and end (sep unless given) after the last."""
    return sep.join(ls) + (sep if end is None else end)

# ---- path rules -------------------------------------------------------------------------
f("ios/Main.nib"); f("ios/App.xcworkspace/contents.xcworkspacedata")
f("ios/UserInterfaceState.xcuserstate"); f("ios/Main.NIB"); f("ios/nib.txt"); f("ios/x.nib.bak")
f(".idea/workspace.xml"); f("proj/.idea/misc.xml"); f("proj/x.idea/misc.xml"); f(".ideas/x.xml")
f("other/.idea", "not a dir\n")
f("Pods/AFNetworking/AF.m"); f("ios/Pods/Headers/x.h"); f("MyPods/x.m"); f("Pods.txt"); f("pods/x.m")
f("Carthage/Build/iOS/X.framework/x.h"); f("app/Carthage/Build/x.swift")
f("Carthage/Checkouts/x.swift"); f("MyCarthage/Build/x.swift")
f("src/__generated__/Query.graphql.js", "var x = 1;\n"); f("src/__generated/x.js", "var x = 1;\n")
f("win/Form1.Designer.cs"); f("win/Form1.designer.vb"); f("win/Form1.designer.cs.txt"); f("win/designercs")
f("specs/Login.feature.cs"); f("specs/Login.FEATURE.CS"); f("specs/Login.feature")
f("composer.lock"); f("php/composer.lock"); f("composer.json")
f("Cargo.lock"); f("rust/cargo.lock"); f("rust/Cargo.toml")
f("node_modules/x.js", "var x;\n"); f("web/node_modules/b/c.js"); f("web/node_module/x.js")
f("vendor/github.com/pkg/errors/errors.go"); f("vendor/golang.org/x/y.go")
f("vendor/gopkg.in/yaml.v2/yaml.go"); f("vendor/a-b.com/x.go"); f("vendor/-bad-.com/x.go")
f("vendor/foo-.com/x.go"); f("vendor/x/foo.go"); f("vendor/a.b/x.go"); f("vendor/foo.index/x.go")
f("third/vendor/k8s.io/api/x.go"); f("vendor/foo.c/x.go")
f("Gopkg.lock"); f("go/glide.lock"); f("Gopkg.toml")
f("poetry.lock"); f("py/poetry.toml")
f("esy.lock"); f("re/foo.esy.lock"); f("re/a_b.esy.lock"); f("re/a-b.esy.lock"); f("re/myesy.lock")
f("re/esyXlock"); f("re/esy.lock.json"); f("re/\u00e9.esy.lock")
f("npm-shrinkwrap.json"); f("js/package-lock.json"); f("js/package.json")
f(".terraform.lock.hcl"); f("infra/.terraform.lock.hcl"); f("infra/x.terraform.lock.hcl")
f("infra/.terraform.lock.hcl.bak")
f(".pnp.js"); f("yarn/.pnp.cjs"); f("yarn/.pnp.loader.mjs"); f("yarn/x.pnp.js"); f("yarn/.pnpjs")
f("Godeps/Godeps.json"); f("Godeps/_workspace/src/x.go"); f("godeps/x.go")
f("ext/foo.zep.c"); f("ext/foo.zep.h"); f("ext/foo.zep.php"); f(".zep.c"); f("ext/.zep.c")
f("ext/foo.zep.cpp")
f("Pipfile.lock"); f("py/Pipfile")
f("delphi/Foo_TLB.pas"); f("delphi/foo_tlb.PAS"); f("delphi/foo_tlb.pas.bak"); f("delphi/footlb.pas")

# ---- minified, source maps ---------------------------------------------------------------
long = "var a=" + "1+" * 200 + "1;"
f("web/min.js", long + "\n" + long + "\n")
f("web/normal.js", lines("function f() {", "  return 1;", "}"))
f("web/min.css", "a{color:red}" * 30 + "\n")
f("web/MIN.CSS", "a{color:red}" * 30 + "\n")
f("web/min.js.txt", long + "\n")
f("web/avg110.js", "x" * 110)               # one line of 110: not minified
f("web/avg111.js", "x" * 111)               # 111: minified
f("web/avg110b.js", "x" * 220 + "\n" + "\n")  # 220 bytes over 3 lines... 73
f("web/avg111b.js", "x" * 221 + "\n")       # 221 / 2 = 110: not
f("web/avg111c.js", "x" * 222 + "\n")       # 222 / 2 = 111: minified
# 60 characters of 2 bytes each per line: 120 bytes, 60 characters; Ruby counts bytes.
f("web/utf8.js", ("\u00e9" * 60 + "\n") * 5 + "\u00e9" * 60)
f("web/empty.js", b"")
f("web/empty.css", b"")
f("web/app.js", lines("var x = 1;", "//# sourceMappingURL=app.js.map"))
f("web/app2.js", lines("var x = 1;", "//@ sourceMappingURL=app.js.map", "", end=""))
f("web/app3.css", lines("a{}", "/*# sourceMappingURL=app3.css.map */"))
f("web/app4.js", lines("var x = 1;", "eval('x'); // sourceURL=foo.js"))
f("web/app5.js", lines("var x = 1;", "//# sourceURL=foo.js", "", ""))  # 3rd-last line
f("web/app6.js", lines("var x = 1;", " //# sourceMappingURL=app.js.map"))
f("web/app7.js", lines("//# sourceMappingURL=a.map", "var x = 1;", "var y;"))
f("web/app8.ts", lines("var x = 1;", "//# sourceMappingURL=app.js.map"))
f("web/app9.js", lines("var x = 1;", "/*# sourceURL=foo.js"))
f("maps/x.js.map", "whatever"); f("maps/x.css.map", "whatever"); f("maps/X.JS.MAP", "whatever")
f("maps/v3.map", '{"version":3,"sources":["a.js"]}\n')
f("maps/v3b.map", '{"version": 3,"sources":["a.js"]}\n')
f("maps/r1.map", "/** Begin line maps. **/{ \"file\": \"x\" }\n")
f("maps/other.map", "not a source map\n")
f("maps/empty.map", b"")
f("maps/x.c\u00df.map", "whatever"); f("maps/x.c\u1e9e.map", "whatever"); f("maps/x.c\u017fs.map", "w")
f("maps/x.ts.map", "whatever"); f("maps/x.js.map.txt", "whatever")
f("maps/x.JS.Map", "whatever"); f("maps/v3.MAP", '{"version":3,\n')

# ---- CoffeeScript ------------------------------------------------------------------------
f("coffee/a.js", lines("// Generated by CoffeeScript 1.12.7", "(function() {", "}).call(this);"))
f("coffee/b.js", lines("(function() {", "  var x, _i, _len, _ref;", "", "}).call(this);"))
f("coffee/c.js", lines("(function() {", "  var x, _i;", "", "}).call(this);"))
f("coffee/d.js", lines("(function() {", "  var __bind = 1;", "}).call(this);"))
f("coffee/e.js", lines("(function() {", "  var __bind = 1;", "}).call(this);", end="") )
f("coffee/f.js", lines("(function() {", "  x = __bind + __extends;", "}).call(this);"))
f("coffee/g.js", lines("(function() {", "  var __indexOf = [].indexOf;", "}).call(this);"))
f("coffee/h.coffee.js", lines(" // Generated by CoffeeScript", "x"))
f("coffee/i.JS", lines("// Generated by CoffeeScript 1.12.7", "x"))

# ---- PEG.js ------------------------------------------------------------------------------
f("peg/parser.js", lines("/*", " * Generated by PEG.js 0.10.0.", " *", " * http://pegjs.org/", " */", "x"))
f("peg/p2.js", lines('"use strict"; /* Generated by PEG.js 0.7.0 */', "x"))
f("peg/p3.js", lines("// Generated by PEG.js 0.10.0.", "x"))
f("peg/p4.js", lines("a", "b", "c", "d", "e", "/* Generated by PEG.js */"))
f("peg/p5.js", lines("/* a */ b /* Generated by PEG.js */"))
f("peg/p6.js", lines("/* a */ /* c", "Generated by PEG.js */"))

# ---- .NET docfile ------------------------------------------------------------------------
f("net/Lib.xml", lines('<?xml version="1.0"?>', "<doc>", "    <assembly>", "<name>x</name>", "</doc>"))
f("net/Lib2.XML", lines('<?xml version="1.0"?>', "<doc>", "    <assembly>", "</doc>"))
f("net/Lib3.xml", lines('<?xml version="1.0"?>', "<doc>", "    <assembly>", "</doc>", end=""))
f("net/Lib4.xml", lines('<?xml version="1.0"?>', "<doc>", "<assembly>"))

# ---- PostScript --------------------------------------------------------------------------
f("ps/dvips.ps", lines("%!PS-Adobe-2.0", "%%Creator: dvips(k) 5.996", "%%Title: x.dvi"))
f("ps/human.ps", lines("%!PS-Adobe-2.0", "%%Creator: John Smith", "%%Title: x"))
f("ps/inkscape.eps", lines("%!PS-Adobe-3.0 EPSF-3.0", "%%Creator: inkscape"))
f("ps/unknown.ps", lines("%!PS", "%%Creator: (Unknown)"))
f("ps/affinity.ps", lines("%!PS", "%%Creator: Serif Affinity"))
f("ps/eagle.ps", lines("%!PS", "%%Creator: EAGLE", "%%Title: EAGLE Drawing /home/x.brd"))
f("ps/eagle2.ps", lines("%!PS", "%%Creator: EAGLE", "%%Title: Board"))
f("ps/eagle3.ps", lines("%!PS", "%%Creator: EAGLE", "1", "2", "3", "%%Title: EAGLE Drawing x"))
f("ps/late.ps", lines(*(["%"] * 10), "%%Creator: dvips 5"))
f("ps/lead.ps", lines("%!PS", " %%Creator: dvips 5"))
f("ps/font.pfa", lines("%!PS-AdobeFont-1.0: X", "currentfile eexec", "0123456789abcdefABCDEF", "x"))
f("ps/font_crlf.pfa", lines("%!PS-AdobeFont-1.0: X", "currentfile eexec", "0123456789abcdef", "x", sep="\r\n"))
f("ps/font_cr.pfa", lines("%!PS-AdobeFont-1.0: X", "currentfile eexec", "0123456789abcdef", "x", sep="\r"))
f("ps/font_mixed.pfa", "%!PS\ncurrentfile eexec\r\n0123456789abcdef\nx\n")
f("ps/font_mixed2.pfa", "%!PS\rcurrentfile eexec\n0123456789abcdef\nx")
f("ps/font_mixed3.pfa", "%!PS\ncurrentfile eexec\n0123456789abcdef\rx")
f("ps/font_vt.pfa", "%!PS\n\x0bcurrentfile eexec\x0b\x0c0123456789abcdef\nx")
f("ps/font_short.pfa", lines("%!PS", "currentfile eexec", "0123456", "x"))
f("ps/t42.ps", lines("%!PS-TrueTypeFont", "  /sfnts [", "<00010000000901234567", "x"))
f("ps/t42_crlf.ps", "%!PS-TrueTypeFont\r\n/sfnts [\r\n<00010000000901234567\r\nx")
f("ps/t42_bad.ps", "%!PS-TrueTypeFont\r\n/sfnts [\n<00010000000901234567\r\nx")
f("ps/t42_ws.ps", "%!PS\n \t\x0b\x0c/sfnts \t[\n<0001000000090123\nx")
f("ps/dvips.PS", lines("%!PS-Adobe-2.0", "%%Creator: dvips(k) 5.996"))
f("ps/eexec_bin.ps", b"%!PS\n\xff\xfe currentfile eexec \n deadbeefcafe\n")

# ---- one-line-header languages ------------------------------------------------------------
f("cy/mod.c", lines("/* Generated by Cython 0.29.21 */", "x"))
f("cy/mod.cpp", lines("/* Generated by Cython 0.29.21 */", "x"))
f("cy/one.c", "/* Generated by Cython 0.29.21 */")
f("cy/mod.h", lines("/* Generated by Cython 0.29.21 */", "x"))
f("go/x.pb.go", lines("// Code generated by protoc-gen-go. DO NOT EDIT.", "package x"))
f("go/gen.go", lines("// Code generated by stringer -type=X; DO NOT EDIT.", "", "package x"))
f("go/late.go", lines(*(["//"] * 40), "// Code generated by x. DO NOT EDIT."))
f("go/at40.go", lines(*(["//"] * 39), "// Code generated by x. DO NOT EDIT."))
f("go/one.go", "// Code generated by x. DO NOT EDIT.")
f("go/x.proto", lines("syntax = 'proto2';", "// This file was autogenerated by go-to-protobuf. Do not edit it manually!"))
f("go/y.proto", lines("syntax = 'proto2';", "// This file was generated by hand"))
hdr = "// Generated by the protocol buffer compiler.  DO NOT EDIT!"
for ext in [".py", ".java", ".h", ".cc", ".cpp", ".m", ".rb", ".php"]:
    f("pb/a" + ext, lines("//", "// source: a.proto", hdr, "x"))
f("pb/late.cc", lines("//", "//", "//", hdr))
f("pb/one_space.cc", lines("// Generated by the protocol buffer compiler. DO NOT EDIT!", "x"))
f("pb/a.go", lines(hdr, "x"))
f("pb/a.hpp", lines(hdr, "x"))
f("pb/a_pb.js", lines("// source: a.proto", "/**", " * @fileoverview", " * @enhanceable", " * @public", " // GENERATED CODE -- DO NOT EDIT!", ""))
f("pb/b_pb.js", lines("/**", " * @fileoverview", " * @enhanceable", " * @public", "// GENERATED CODE -- DO NOT EDIT!", "x", "y"))
f("pb/c_pb.js", lines("a", "b", "c", "d", "e", "// GENERATED CODE -- DO NOT EDIT!", end=""))
thrift = "# Autogenerated by Thrift Compiler (0.9.3)"
for ext in [".rb", ".py", ".go", ".js", ".m", ".java", ".h", ".cc", ".cpp", ".php"]:
    f("thrift/t" + ext, lines("#", thrift))
f("thrift/t.txt", lines("#", thrift)); f("thrift/late.py", lines(*(["#"] * 6), thrift))
f("thrift/single.py", thrift)
f("jni/com_foo_Bar.h", lines("/* DO NOT EDIT THIS FILE - it is machine generated */", "#include <jni.h>", "/* Header */"))
f("jni/two.h", lines("/* DO NOT EDIT THIS FILE - it is machine generated */", "#include <jni.h>", end=""))
f("jni/swap.h", lines("#include <jni.h>", "/* DO NOT EDIT THIS FILE - it is machine generated */", "x"))
f("spec/cassettes/x.yml", lines("---", "http_interactions: []", "recorded_with: VCR 6.0.0"))
f("spec/cassettes/y.yml", lines("---", "recorded_with: VCR 6.0.0", end=""))
f("spec/cassettes/z.yaml", lines("---", "http_interactions: []", "recorded_with: VCR 6.0.0"))
f("antlr/T.g", lines("/*", " * generated by Xtest", "x"))
f("antlr/U.g", lines(" * generated by Xtest", "x", "y"))
f("mod/kicad.mod", lines("PCBNEW-LibModule-V1  2012-01-01 12:00:00", "x"))
f("mod/gf.mod", lines("GFORTRAN module version '15' created from x.f90", "x"))
f("mod/go.mod", lines("module example.com/x", "go 1.20"))
f("unity/Player.cs.meta", lines("fileFormatVersion: 2", "guid: 0123"))
f("unity/Other.meta", lines("fileFormatVersion:2", "guid: 0123"))
f("racc/parser.rb", lines("#", "# DO NOT MODIFY!!!!", "# This file is automatically generated by Racc 1.4.14", "x"))
f("racc/p2.rb", lines("#", "# This file is automatically generated by Racc 1.4.14", "x", "y"))
f("java/Lexer.java", lines("/* The following code was generated by JFlex 1.7.0 on 1/1/20 */", "x"))
f("java/Lexer2.java", lines(" /* The following code was generated by JFlex 1.7.0 */", "x"))
f("java/Parser.java", lines("// This is a generated file. Not intended for manual editing.", "package x;"))
f("java/Parser2.java", lines("// This is a generated file.", "package x;"))
f("java/Keys.java", lines("/*", " * This file is generated by jOOQ.", " */"))
f("java/Keys2.JAVA", lines("/*", " * This file is generated by jOOQ.", " */"))
f("java/Keys3.java", lines("/*", "", " * This file is generated by jOOQ."))
f("R/man/f.Rd", lines("% Generated by roxygen2: do not edit by hand", "\\name{f}"))
f("R/man/g.rd", lines("% Generated by roxygen2: do not edit by hand", "\\name{f}"))
f("jison/parser.js", lines("/* parser generated by jison 0.4.18 */", "x"))
f("jison/lexer.js", lines("/* generated by jison-lex 0.3.4 */", "x"))
f("jison/other.js", lines("/* parser generated by jison */", "x"))
for ext in [".cpp", ".hpp", ".h", ".cc"]:
    f("grpc/svc.grpc.pb" + ext, lines("// Generated by the gRPC C++ plugin.", "x"))
f("grpc/svc.c", lines("// Generated by the gRPC C++ plugin.", "x"))
f("dart/a.g.dart", lines("// GENERATED CODE - DO NOT MODIFY BY HAND", "part of x;"))
f("dart/b.dart", lines("// Generated code. Do not modify.", "x"))
f("dart/c.dart", lines("// generated code do not modify", "x"))
f("dart/d.dart", lines("// generated code -- - do not modify", "x"))
f("dart/e.dart", b"// generated code\xc3\xa9 do not modify\nx\n")
f("dart/f.dart", lines("x", "// GENERATED CODE - DO NOT MODIFY BY HAND"))
f("perl/ppport.h", lines(*(["#"] * 8), "    Automatically created by Devel::PPPort running under perl 5.030000.", "#", "#"))
f("perl/x_ppport.h", lines(*(["#"] * 8), "    Automatically created by Devel::PPPort", "#", "#"))
f("perl2/ppport.h", lines(*(["#"] * 8), "    Automatically created by Devel::PPPort", "#"))
f("perl3/ppport.h.in", lines(*(["#"] * 8), "    Automatically created by Devel::PPPort", "#", "#"))
f("gms/obj.yy", lines("{", '    "id": "x",', '    "modelName": "GMObject",', '    "mvc": "1.0"', "}"))
f("gms/proj.yyp", lines("1.0.0|{", "x", "y", "z"))
f("gms/obj2.yy", lines("{", '    "id": "x",', '    "modelName":"GM",', "}", end=""))
f("gms/obj3.yy", lines('"modelName": "GMObject",', "x", "y", "z"))
f("gms/obj4.yy", lines("1.0.0|{", "x", "y"))
f("gms/proj2.yyp", lines("1.0.0 x|{", "x", "y"))
f("gms/proj3.yyp", lines("1.0.0 x|{", "x", "y", end=""))
f("gms/proj4.yyp", lines("10.0.0 x|{", "x", "y"))
f("gimp/img.c", lines("/* GIMP RGB C-Source image dump (img.c) */", "x"))
f("gimp/img.h", lines("/*  GIMP header image file format (RGB): img.h  */", "x"))
f("gimp/img2.c", lines("/* GIMP RGB C-Source image dump (img.h) */", "x"))
f("gimp/one.c", "/* GIMP RGBA C-Source image dump (x.c) */")
f("gimp/img.cpp", lines("/* GIMP RGB C-Source image dump (img.c) */", "x"))
f("vs6/x.dsp", lines('# Microsoft Developer Studio Project File - Name="x"', "# Microsoft Developer Studio Generated Build File, Format Version 6.00"))
f("vs6/y.DSP", lines("# Microsoft Developer Studio Generated Build File, Format Version 6.00"))
f("vs6/z.dsp", lines("#", "#", "#", "# Microsoft Developer Studio Generated Build File"))
for ext in [".js", ".py", ".lua", ".cpp", ".h", ".java", ".cs", ".php"]:
    f("haxe/out" + ext, lines("// Generated by Haxe 4.2.0", "x"))
f("haxe/out.hx", lines("// Generated by Haxe 4.2.0", "x"))
f("haxe/late.js", lines("//", "//", "//", "// Generated by Haxe 4.2.0"))

# ---- HTML --------------------------------------------------------------------------------
f("html/pkgdown.html", lines("<!DOCTYPE html>", "<!-- Generated by pkgdown: do not edit by hand --><html>"))
f("html/pkgdown3.html", lines("<!DOCTYPE html>", "<html>", "<!-- Generated by pkgdown: do not edit by hand -->"))
f("html/mandoc.html", lines("<!DOCTYPE html>", "<html>", "<!-- This is an automatically generated file.  Do not edit."))
f("html/doxygen.html", lines("<!DOCTYPE html>", "<html>", "<!-- Generated by Doxygen 1.8.17 -->"))
f("html/doxygen2.htm", lines("<html>", "<!--  generated BY doxygen  1.9 -->"))
f("html/doxygen3.html", lines("<html>", "<!-- Generated by Doxygen -->"))
f("html/doxygen_late.html", lines(*(["<p>"] * 31), "<!-- Generated by Doxygen 1.8.17 -->"))
f("html/org.html", lines("<html><head>", '<meta name="generator" content="Org mode" />', "</head>"))
f("html/org2.html", lines("<html><head>", '<meta  name="generator"  content="Org-mode" />'))
f("html/org3.html", lines("<html><head>", "<META NAME='Generator' CONTENT='org\tmode 9.1'>"))
f("html/latex2html.html", lines("<html>", '<META NAME="Generator" CONTENT="LaTeX2HTML v2008">'))
f("html/jlatex.html", lines("<html>", '<meta name="generator" content="jLaTeX2HTML v2002">'))
f("html/groff.html", lines("<html>", "<meta name=generator content=groff>"))
f("html/groff2.html", lines("<html>", "<meta name=generator content=groffy>"))
f("html/makeinfo.html", lines("<html>", '<meta name="Generator" content="makeinfo">'))
f("html/texi2html.xhtml", lines("<html>", '<meta name="generator" value="texi2html 1.82">'))
f("html/ronn.HTML", lines("<html>", '<meta content="ronn/v0.7.3" name="generator" />'))
f("html/ronn2.htm", lines("<html>", '<meta name="generator" content="ronn/v0.7.3"/>'))
f("html/ronn3.html", lines("<html>", "<meta", '  name="generator"', '  content="ronn/v0.7.3">'))
f("html/hugo.html", lines("<html>", '<meta name="generator" content="Hugo 0.80.0" />'))
f("html/mkdocs.html", lines("<html>", '<meta name="generator" content="mkdocs-1.1.2, mkdocs-material-6.2.8">'))
f("html/dup.html", lines("<html>", '<meta name="generator" name="author" content="groff">'))
f("html/dup2.html", lines("<html>", '<meta name="author" name="generator" content="groff">'))
f("html/two.html", lines("<html>", '<meta name="author" content="x"><meta name="generator" content="groff">'))
f("html/desc.html", lines("<html>", '<meta name="description" content="groff">'))
f("html/late.html", lines(*(["<p>"] * 31), '<meta name="generator" content="groff">'))
f("html/at31.html", lines(*(["<p>"] * 30), '<meta name="generator" content="groff">'))
f("html/one.html", '<meta name="generator" content="groff">')
f("html/nospace.html", lines("<html>", '<meta name="generator"content="groff">'))
f("html/xname.html", lines("<html>", '<meta xname="generator" content="groff">'))
f("html/empty.html", lines("<html>", '<meta name="" content="groff">'))
f("html/lead.html", lines("<html>", '<meta name="generator" content=" groff">'))
f("html/ws.html", lines("<html>", '<meta \x00name="generator" content="groff" \x00/>'))
f("html/slash.html", lines("<html>", "<meta name=generator content=groff/>"))
f("html/quotes.html", lines("<html>", "<meta name=\"generator\" content='groff\"'>"))
f("html/bin.html", b"<html>\n<meta name=\"generator\" content=\"groff \xff\xfe\">\n")
f("html/bin2.html", b"<html>\n<meta name=\"gen\xe9rator\" content=\"groff\">\n")
f("html/bin3.html", b"<html>\n<meta name=\"generator\" content=\"groff\xe9\">\n")
f("html/crlf.html", "<html>\r\n<meta name=\"generator\" content=\"groff\" />\r\n")
f("html/lastwins.html", lines("<html>", '<meta name="generator" content=groff content="x">'))
f("html/spaced.html", lines("<html>", '<meta name = generator content =  "groff">'))
f("html/glued.html", lines("<html>", '<meta content="groff"name="generator">'))
f("html/unquoted.html", lines("<html>", "<meta content=groff name=generator>"))
f("html/value.html", lines("<html>", "<meta name=generator content=ronn value=x>"))
f("html/value2.html", lines("<html>", "<meta foo=a name=generator content='x' value='groff'>"))
f("html/run.html", lines("<html>", "<meta name=generatorcontent=groff>"))
f("html/vt.html", lines("<html>", "<meta\x0bname=generator\x0ccontent=groff>"))
f("html/slashsp.html", lines("<html>", '<meta name="generator" content="groff"/ >'))
f("html/meta2.html", lines("<html>", '<meta name="generator" content="Hugo"> <META\tcontent="Org mode" NAME=generator>'))
f("html/metaempty.html", lines("<html>", "<meta >", "<meta>", '<metaname="generator" content="groff">'))
f("html/quoted1.html", lines("<html>", "<meta name=\"generator\" content=\"'\">", "<meta name=generator content=\"'groff'\">"))
f("html/pkgdown.txt", lines("<!DOCTYPE html>", "<!-- Generated by pkgdown: do not edit by hand -->"))

# ---- names that test the Ruby semantics -------------------------------------------------
f("weird/x.designer.cs\nnotes.txt")            # $ before a newline
f("weird/a\nPods/x.m")                         # ^ after a newline
f("weird/x.c\u017f")                           # no rule
f("weird/Form.de\u017figner.cs")               # /i folds U+017F to s
f("weird/unit_TLB.pa\u017f")
f("weird/min.js.d/x", long + "\n")             # extname of a file in a dir named *.js
f("weird/trailingdot.", long + "\n")
f("weird/.js", long + "\n")                    # a dotfile has no extension
f("weird/..js", long + "\n")
f("weird/x..js", long + "\n")
f("weird/x.tar.js", long + "\n")
f("weird/x.\u212aJS", long + "\n")
f("weird/caf\u00e9.js", long + "\n")

# ---- binary and odd content ---------------------------------------------------------------
rnd = random.Random(7)
for i in range(12):
    data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 5000)))
    for ext in [".js", ".ps", ".html", ".go", ".h", ".map", ".xml", ".yy"]:
        f("bin/r%d%s" % (i, ext), data)
f("bin/nul.js", b"\x00" * 300)
f("bin/cr.js", b"\r" * 300)

os.makedirs(ROOT, exist_ok=True)
for path, data in files.items():
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as out:
        out.write(data)
