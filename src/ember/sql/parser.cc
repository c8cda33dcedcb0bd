// Lexer and recursive-descent parser for Ember's SQL dialect. Operator precedence follows
// Spark SQL: postfix [ ] > unary - > * / % > + - || > comparisons, IS, IN, BETWEEN > NOT >
// AND > OR.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>

#include "ember/base/datetime.h"
#include "ember/base/status_macros.h"
#include "ember/sql/internal/ast.h"

namespace ember::sql::internal {

std::string_view SqlTypeName(SqlType t) {
  switch (t) {
    case SqlType::kNull:
      return "null";
    case SqlType::kBool:
      return "boolean";
    case SqlType::kInt:
      return "bigint";
    case SqlType::kDouble:
      return "double";
    case SqlType::kString:
      return "string";
    case SqlType::kDate:
      return "date";
    case SqlType::kTimestamp:
      return "timestamp";
    case SqlType::kOpaque:
      return "non-scalar";
  }
  return "?";
}

namespace {

struct Token {
  enum class Kind { kIdent, kQuotedIdent, kInt, kFloat, kString, kSymbol, kEnd } kind;
  std::string text;  // identifier / symbol / literal contents (unescaped)
  size_t begin = 0, end = 0;
};

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

constexpr std::string_view kAggregateNames[] = {"count", "sum", "avg", "mean", "min", "max"};

constexpr std::string_view kReserved[] = {
    "select",  "from", "where", "as",   "and",  "or",  "not",  "is",   "null",  "in",
    "between", "case", "when",  "then", "else", "end", "cast", "true", "false", "like"};

bool IsReserved(std::string_view word) {
  for (auto k : kReserved) {
    if (IEquals(word, k)) return true;
  }
  return false;
}

Status SyntaxError(size_t pos, std::string_view message) {
  return InvalidArgument("syntax error at position " + std::to_string(pos + 1) + ": " +
                         std::string(message));
}

Result<std::vector<Token>> Lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (true) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i + 1 < s.size() && s[i] == '-' && s[i + 1] == '-') {  // comment to end of line
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (i >= s.size()) break;
    const size_t b = i;
    const char c = s[i];
    Token t;
    t.begin = b;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) ++i;
      t.kind = Token::Kind::kIdent;
      t.text = std::string(s.substr(b, i - b));
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < s.size() &&
                std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      bool is_float = false;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      if (i < s.size() && s[i] == '.') {
        is_float = true;
        ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      }
      if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
        if (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) {
          is_float = true;
          i = j;
          while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
        }
      }
      if (i < s.size() && (std::isalpha(static_cast<unsigned char>(s[i])) || s[i] == '_')) {
        return SyntaxError(
            i, "expected a number, found '" + std::string(s.substr(b, i - b + 1)) + "'");
      }
      t.kind = is_float ? Token::Kind::kFloat : Token::Kind::kInt;
      t.text = std::string(s.substr(b, i - b));
    } else if (c == '\'' || c == '"' || c == '`') {
      // 'string'; "identifier" or `identifier`; the quote doubled inside escapes itself.
      std::string v;
      ++i;
      while (true) {
        if (i >= s.size()) {
          return SyntaxError(
              b, c == '\'' ? "unterminated string literal" : "unterminated quoted identifier");
        }
        if (s[i] == c) {
          if (i + 1 < s.size() && s[i + 1] == c) {
            v += c;
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        v += s[i++];
      }
      t.kind = c == '\'' ? Token::Kind::kString : Token::Kind::kQuotedIdent;
      t.text = std::move(v);
    } else {
      static constexpr std::string_view kTwo[] = {"<=", ">=", "<>", "!=", "==", "||"};
      t.kind = Token::Kind::kSymbol;
      for (auto two : kTwo) {
        if (s.substr(i, 2) == two) t.text = std::string(two);
      }
      if (t.text.empty()) {
        if (std::string_view("+-*/%=<>(),[].;").find(c) == std::string_view::npos) {
          return SyntaxError(i, std::string("unexpected character '") + c + "'");
        }
        t.text = std::string(1, c);
      }
      i += t.text.size();
    }
    t.end = i;
    out.push_back(std::move(t));
  }
  Token end;
  end.kind = Token::Kind::kEnd;
  end.begin = end.end = s.size();
  out.push_back(end);
  return out;
}

class Parser {
 public:
  Parser(std::string_view s, std::vector<Token> tokens) : s_(s), t_(std::move(tokens)) {}

  Result<SelectStatement> Select() {
    SelectStatement st;
    EMBER_RETURN_IF_ERROR(ExpectKeyword("SELECT"));
    if (IsKeyword("DISTINCT")) {
      Next();
      st.distinct = true;
    } else if (IsKeyword("ALL")) {
      Next();
    }
    do {
      SelectItem item;
      item.pos = static_cast<int>(Peek().begin) + 1;
      if (IsSymbol("*")) {
        Next();
        item.star = true;
      } else {
        EMBER_ASSIGN_OR_RETURN(item.expr, Expression());
        if (IsKeyword("AS")) {
          Next();
          if (Peek().kind != Token::Kind::kIdent && Peek().kind != Token::Kind::kQuotedIdent) {
            return Expected("a column name after AS");
          }
          if (Peek().kind == Token::Kind::kIdent && IsReserved(Peek().text)) {
            return Expected("a column name after AS (quote reserved words: `" + Peek().text + "`)");
          }
          item.alias = Next().text;
        } else if (Peek().kind == Token::Kind::kQuotedIdent ||
                   (Peek().kind == Token::Kind::kIdent && !IsReserved(Peek().text))) {
          item.alias = Next().text;  // SELECT a + 1 b
        }
      }
      st.items.push_back(std::move(item));
    } while (IsSymbol(",") && (Next(), true));
    EMBER_RETURN_IF_ERROR(ExpectKeyword("FROM"));
    const Token& table = Peek();
    if (!((table.kind == Token::Kind::kIdent || table.kind == Token::Kind::kQuotedIdent) &&
          IEquals(table.text, "__THIS__"))) {
      return Expected("__THIS__ (the input frame) after FROM");
    }
    Next();
    if (IsKeyword("WHERE")) {
      Next();
      EMBER_ASSIGN_OR_RETURN(st.where, Expression());
    }
    if (IsKeyword("GROUP")) {
      Next();
      EMBER_RETURN_IF_ERROR(ExpectKeyword("BY"));
      do {
        EMBER_ASSIGN_OR_RETURN(ExprPtr g, Expression());
        st.group_by.push_back(std::move(g));
      } while (IsSymbol(",") && (Next(), true));
    }
    if (IsKeyword("HAVING")) {
      Next();
      EMBER_ASSIGN_OR_RETURN(st.having, Expression());
    }
    if (IsKeyword("ORDER")) {
      Next();
      EMBER_RETURN_IF_ERROR(ExpectKeyword("BY"));
      do {
        OrderItem o;
        o.pos = static_cast<int>(Peek().begin) + 1;
        EMBER_ASSIGN_OR_RETURN(o.expr, Expression());
        if (IsKeyword("DESC") || IsKeyword("ASC")) o.descending = IEquals(Next().text, "DESC");
        if (IsKeyword("NULLS")) return NotSupported("NULLS FIRST/LAST");
        st.order_by.push_back(std::move(o));
      } while (IsSymbol(",") && (Next(), true));
    }
    if (IsKeyword("LIMIT")) {
      Next();
      st.limit_pos = static_cast<int>(Peek().begin) + 1;
      if (Peek().kind != Token::Kind::kInt) return Expected("a row count after LIMIT");
      const std::string& n = Next().text;
      if (n.size() > 15) return SyntaxError(Peek().begin, "LIMIT " + n + " is too large");
      st.limit = std::stoll(n);
    }
    for (std::string_view clause : {"OFFSET", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS",
                                    "UNION", "INTERSECT", "EXCEPT", "WINDOW", "QUALIFY"}) {
      if (IsKeyword(clause)) return NotSupported(Peek().text);
    }
    if (IsSymbol(";")) Next();  // a trailing semicolon, as SQL is often written
    if (Peek().kind != Token::Kind::kEnd) return Expected("the end of the statement");
    st.across_rows = st.distinct || !st.group_by.empty() || st.having || !st.order_by.empty() ||
                     st.limit >= 0 || HasAggregate(st);
    return st;
  }

 private:
  using ExprPtr = std::unique_ptr<Expr>;

  const Token& Peek(size_t ahead = 0) const { return t_[std::min(k_ + ahead, t_.size() - 1)]; }
  const Token& Next() { return t_[k_ < t_.size() - 1 ? k_++ : k_]; }
  bool IsKeyword(std::string_view kw, size_t ahead = 0) const {
    return Peek(ahead).kind == Token::Kind::kIdent && IEquals(Peek(ahead).text, kw);
  }
  bool IsSymbol(std::string_view sym) const {
    return Peek().kind == Token::Kind::kSymbol && Peek().text == sym;
  }

  std::string Found() const {
    const Token& t = Peek();
    if (t.kind == Token::Kind::kEnd) return "the end of the statement";
    return "'" + std::string(s_.substr(t.begin, t.end - t.begin)) + "'";
  }
  Status Expected(const std::string& what) const {
    return SyntaxError(Peek().begin, "expected " + what + ", found " + Found());
  }
  // A clause of SQL that SqlTransformer does not run: it reads one table (no joins or set
  // operations), and has no OFFSET, windows or NULLS FIRST/LAST.
  Status NotSupported(const std::string& word) const {
    std::string clause = Lower(word);
    for (char& c : clause) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return InvalidArgument("SQL at position " + std::to_string(Peek().begin + 1) + ": " + clause +
                           " is not supported: SqlTransformer reads one table (the input "
                           "frame); joins, set operations, OFFSET and windows are not in its "
                           "dialect (docs/sql.md)");
  }

  static bool HasAggregate(const Expr& e) {
    if (IsAggregate(e)) return true;
    return std::any_of(e.args.begin(), e.args.end(),
                       [](const ExprPtr& a) { return a && HasAggregate(*a); });
  }
  static bool HasAggregate(const SelectStatement& st) {
    for (const SelectItem& item : st.items) {
      if (item.expr && HasAggregate(*item.expr)) return true;
    }
    for (const OrderItem& o : st.order_by) {
      if (HasAggregate(*o.expr)) return true;
    }
    return false;
  }

  Status ExpectKeyword(std::string_view kw) {
    if (!IsKeyword(kw)) return Expected(std::string(kw));
    Next();
    return Status::OK();
  }
  Status ExpectSymbol(std::string_view sym) {
    if (!IsSymbol(sym)) return Expected("'" + std::string(sym) + "'");
    Next();
    return Status::OK();
  }

  ExprPtr Make(Expr::Kind kind, size_t begin) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = static_cast<int>(begin) + 1;
    return e;
  }
  // Sets the source text of `e` from `begin` to the end of the last consumed token.
  ExprPtr Finish(ExprPtr e, size_t begin) {
    const size_t end = k_ > 0 ? t_[k_ - 1].end : begin;
    e->text = std::string(s_.substr(begin, end - begin));
    return e;
  }
  ExprPtr Binary(std::string op, size_t op_begin, ExprPtr a, ExprPtr b, size_t begin) {
    ExprPtr e = Make(Expr::Kind::kBinary, begin);
    e->op = std::move(op);
    e->op_pos = static_cast<int>(op_begin) + 1;
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return Finish(std::move(e), begin);
  }

  Result<ExprPtr> Expression() {
    if (++depth_ > 200) return SyntaxError(Peek().begin, "expression nested too deeply");
    Result<ExprPtr> r = Or();
    --depth_;
    return r;
  }

  Result<ExprPtr> Or() {
    const size_t begin = Peek().begin;
    EMBER_ASSIGN_OR_RETURN(ExprPtr e, And());
    while (IsKeyword("OR")) {
      const size_t op = Next().begin;
      EMBER_ASSIGN_OR_RETURN(ExprPtr r, And());
      e = Binary("OR", op, std::move(e), std::move(r), begin);
    }
    return e;
  }

  Result<ExprPtr> And() {
    const size_t begin = Peek().begin;
    EMBER_ASSIGN_OR_RETURN(ExprPtr e, Not());
    while (IsKeyword("AND")) {
      const size_t op = Next().begin;
      EMBER_ASSIGN_OR_RETURN(ExprPtr r, Not());
      e = Binary("AND", op, std::move(e), std::move(r), begin);
    }
    return e;
  }

  Result<ExprPtr> Not() {
    if (!IsKeyword("NOT")) return Predicate();
    const size_t begin = Next().begin;
    if (++depth_ > 200) return SyntaxError(begin, "expression nested too deeply");
    EMBER_ASSIGN_OR_RETURN(ExprPtr a, Not());
    --depth_;
    ExprPtr e = Make(Expr::Kind::kUnary, begin);
    e->op = "NOT";
    e->op_pos = e->pos;
    e->args.push_back(std::move(a));
    return Finish(std::move(e), begin);
  }

  Result<ExprPtr> Predicate() {
    const size_t begin = Peek().begin;
    EMBER_ASSIGN_OR_RETURN(ExprPtr e, Additive());
    if (Peek().kind == Token::Kind::kSymbol) {
      static constexpr std::string_view kCmp[] = {"=", "==", "<>", "!=", "<", "<=", ">", ">="};
      for (auto cmp : kCmp) {
        if (Peek().text != cmp) continue;
        const size_t op = Next().begin;
        EMBER_ASSIGN_OR_RETURN(ExprPtr r, Additive());
        std::string name(cmp);
        if (name == "==") name = "=";
        if (name == "!=") name = "<>";
        return Binary(name, op, std::move(e), std::move(r), begin);
      }
      return e;
    }
    if (IsKeyword("IS")) {
      const size_t op = Next().begin;
      ExprPtr p = Make(Expr::Kind::kIsNull, begin);
      p->op_pos = static_cast<int>(op) + 1;
      if (IsKeyword("NOT")) {
        Next();
        p->negated = true;
      }
      EMBER_RETURN_IF_ERROR(ExpectKeyword("NULL"));
      p->args.push_back(std::move(e));
      return Finish(std::move(p), begin);
    }
    bool negated = false;
    if (IsKeyword("NOT") &&
        (IsKeyword("IN", 1) || IsKeyword("BETWEEN", 1) || IsKeyword("LIKE", 1))) {
      Next();
      negated = true;
    }
    if (IsKeyword("LIKE")) {
      // a LIKE p is the call like(a, p); NOT LIKE wraps it in NOT.
      const size_t op = Next().begin;
      ExprPtr call = Make(Expr::Kind::kCall, begin);
      call->name = "like";
      call->op_pos = static_cast<int>(op) + 1;
      call->args.push_back(std::move(e));
      EMBER_ASSIGN_OR_RETURN(ExprPtr pattern, Additive());
      call->args.push_back(std::move(pattern));
      ExprPtr out = Finish(std::move(call), begin);
      if (!negated) return out;
      ExprPtr no = Make(Expr::Kind::kUnary, begin);
      no->op = "NOT";
      no->op_pos = static_cast<int>(op) + 1;
      no->args.push_back(std::move(out));
      return Finish(std::move(no), begin);
    }
    if (IsKeyword("IN")) {
      const size_t op = Next().begin;
      ExprPtr p = Make(Expr::Kind::kIn, begin);
      p->op_pos = static_cast<int>(op) + 1;
      p->negated = negated;
      p->args.push_back(std::move(e));
      EMBER_RETURN_IF_ERROR(ExpectSymbol("("));
      do {
        EMBER_ASSIGN_OR_RETURN(ExprPtr item, Expression());
        p->args.push_back(std::move(item));
      } while (IsSymbol(",") && (Next(), true));
      EMBER_RETURN_IF_ERROR(ExpectSymbol(")"));
      return Finish(std::move(p), begin);
    }
    if (IsKeyword("BETWEEN")) {
      const size_t op = Next().begin;
      ExprPtr p = Make(Expr::Kind::kBetween, begin);
      p->op_pos = static_cast<int>(op) + 1;
      p->negated = negated;
      p->args.push_back(std::move(e));
      EMBER_ASSIGN_OR_RETURN(ExprPtr lo, Additive());
      EMBER_RETURN_IF_ERROR(ExpectKeyword("AND"));
      EMBER_ASSIGN_OR_RETURN(ExprPtr hi, Additive());
      p->args.push_back(std::move(lo));
      p->args.push_back(std::move(hi));
      return Finish(std::move(p), begin);
    }
    return e;
  }

  Result<ExprPtr> Additive() {
    const size_t begin = Peek().begin;
    EMBER_ASSIGN_OR_RETURN(ExprPtr e, Multiplicative());
    while (IsSymbol("+") || IsSymbol("-") || IsSymbol("||")) {
      std::string op = Peek().text;
      const size_t at = Next().begin;
      EMBER_ASSIGN_OR_RETURN(ExprPtr r, Multiplicative());
      e = Binary(std::move(op), at, std::move(e), std::move(r), begin);
    }
    return e;
  }

  Result<ExprPtr> Multiplicative() {
    const size_t begin = Peek().begin;
    EMBER_ASSIGN_OR_RETURN(ExprPtr e, Unary());
    while (IsSymbol("*") || IsSymbol("/") || IsSymbol("%")) {
      std::string op = Peek().text;
      const size_t at = Next().begin;
      EMBER_ASSIGN_OR_RETURN(ExprPtr r, Unary());
      e = Binary(std::move(op), at, std::move(e), std::move(r), begin);
    }
    return e;
  }

  Result<ExprPtr> Unary() {
    if (!IsSymbol("-") && !IsSymbol("+")) return Postfix();
    const bool minus = Peek().text == "-";
    const size_t begin = Next().begin;
    if (++depth_ > 200) return SyntaxError(begin, "expression nested too deeply");
    EMBER_ASSIGN_OR_RETURN(ExprPtr a, Unary());
    --depth_;
    if (!minus) return a;
    // Fold "-<number literal>" so that -9223372036854775808 is representable.
    if (a->kind == Expr::Kind::kLiteral &&
        (a->lit_type == SqlType::kInt || a->lit_type == SqlType::kDouble) && a->text.size() > 0 &&
        a->text[0] != '-' && a->text[0] != '(') {
      if (a->lit_type == SqlType::kInt) {
        a->lit_int = -a->lit_int;
      } else if (a->lit_double == 9223372036854775808.0 &&
                 a->text.find_first_not_of("0123456789") == std::string::npos) {
        a->lit_type = SqlType::kInt;  // -9223372036854775808 is the smallest bigint
        a->lit_int = INT64_MIN;
      } else {
        a->lit_double = -a->lit_double;
      }
      a->pos = static_cast<int>(begin) + 1;
      return Finish(std::move(a), begin);
    }
    ExprPtr e = Make(Expr::Kind::kUnary, begin);
    e->op = "-";
    e->op_pos = e->pos;
    e->args.push_back(std::move(a));
    return Finish(std::move(e), begin);
  }

  Result<ExprPtr> Postfix() {
    const size_t begin = Peek().begin;
    EMBER_ASSIGN_OR_RETURN(ExprPtr e, Primary());
    while (IsSymbol("[") || IsSymbol(".")) {
      if (IsSymbol(".")) {  // a struct's field: s.name
        const size_t op = Next().begin;
        // FROM and WHERE end the expression: quote a field of that name.
        if (Peek().kind != Token::Kind::kQuotedIdent &&
            (Peek().kind != Token::Kind::kIdent || IsKeyword("FROM") || IsKeyword("WHERE"))) {
          return Expected("a field name after '.'");
        }
        ExprPtr f = Make(Expr::Kind::kField, begin);
        f->op_pos = static_cast<int>(op) + 1;
        f->name = Next().text;
        f->args.push_back(std::move(e));
        e = Finish(std::move(f), begin);
        continue;
      }
      const size_t op = Next().begin;
      ExprPtr ix = Make(Expr::Kind::kIndex, begin);
      ix->op_pos = static_cast<int>(op) + 1;
      EMBER_ASSIGN_OR_RETURN(ExprPtr index, Expression());
      EMBER_RETURN_IF_ERROR(ExpectSymbol("]"));
      ix->args.push_back(std::move(e));
      ix->args.push_back(std::move(index));
      e = Finish(std::move(ix), begin);
    }
    return e;
  }

  Result<ExprPtr> Primary() {
    const Token& t = Peek();
    const size_t begin = t.begin;
    switch (t.kind) {
      case Token::Kind::kInt: {
        ExprPtr e = Make(Expr::Kind::kLiteral, begin);
        uint64_t v = 0;
        auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
        if (ec == std::errc() && v <= 9223372036854775807ULL) {
          e->lit_type = SqlType::kInt;
          e->lit_int = static_cast<int64_t>(v);
        } else {
          e->lit_type = SqlType::kDouble;  // too large for bigint: a double, as Spark
          e->lit_double = std::strtod(t.text.c_str(), nullptr);
        }
        Next();
        return Finish(std::move(e), begin);
      }
      case Token::Kind::kFloat: {
        ExprPtr e = Make(Expr::Kind::kLiteral, begin);
        e->lit_type = SqlType::kDouble;
        e->lit_double = std::strtod(t.text.c_str(), nullptr);
        Next();
        return Finish(std::move(e), begin);
      }
      case Token::Kind::kString: {
        ExprPtr e = Make(Expr::Kind::kLiteral, begin);
        e->lit_type = SqlType::kString;
        e->lit_string = t.text;
        Next();
        return Finish(std::move(e), begin);
      }
      case Token::Kind::kQuotedIdent: {
        ExprPtr e = Make(Expr::Kind::kColumn, begin);
        e->name = t.text;
        Next();
        return Finish(std::move(e), begin);
      }
      case Token::Kind::kSymbol:
        if (t.text == "(") {
          Next();
          EMBER_ASSIGN_OR_RETURN(ExprPtr e, Expression());
          EMBER_RETURN_IF_ERROR(ExpectSymbol(")"));
          e->pos = static_cast<int>(begin) + 1;
          return Finish(std::move(e), begin);
        }
        return Expected("an expression");
      case Token::Kind::kEnd:
        return Expected("an expression");
      case Token::Kind::kIdent:
        break;
    }
    if (IsKeyword("TRUE") || IsKeyword("FALSE") || IsKeyword("NULL")) {
      ExprPtr e = Make(Expr::Kind::kLiteral, begin);
      e->lit_type = IsKeyword("NULL") ? SqlType::kNull : SqlType::kBool;
      e->lit_bool = IsKeyword("TRUE");
      Next();
      return Finish(std::move(e), begin);
    }
    if ((IsKeyword("DATE") || IsKeyword("TIMESTAMP")) &&
        Peek(1).kind == Token::Kind::kString) {  // DATE '2024-03-01'; a column named date stays one
      ExprPtr e = Make(Expr::Kind::kLiteral, begin);
      const bool date = IsKeyword("DATE");
      const std::string& text = Peek(1).text;
      int32_t days = 0;
      const bool ok =
          date ? datetime::ParseDate(text, &days) : datetime::ParseTimestamp(text, &e->lit_int);
      if (!ok) {
        return InvalidArgument(std::string("invalid ") + (date ? "DATE" : "TIMESTAMP") +
                               " literal '" + text + "' at position " + std::to_string(begin + 1) +
                               (date ? " (expected yyyy-mm-dd)"
                                     : " (expected yyyy-mm-dd[ hh:mm[:ss[.ffffff]]][zone])"));
      }
      if (date) e->lit_int = days;
      e->lit_type = date ? SqlType::kDate : SqlType::kTimestamp;
      Next();
      Next();
      return Finish(std::move(e), begin);
    }
    if (IsKeyword("CASE")) return Case();
    if (IsKeyword("CAST")) return Cast();
    if (IsReserved(t.text)) return Expected("an expression");
    if (Peek(1).kind == Token::Kind::kSymbol && Peek(1).text == "(") {
      ExprPtr e = Make(Expr::Kind::kCall, begin);
      e->name = Lower(t.text);
      Next();
      Next();
      if (IsSymbol("*")) {  // count(*)
        if (e->name != "count") return Expected("an expression ('*' is count(*) only)");
        Next();
        e->op = "*";
        EMBER_RETURN_IF_ERROR(ExpectSymbol(")"));
        return Finish(std::move(e), begin);
      }
      if (IsKeyword("DISTINCT")) {
        return InvalidArgument(e->name + "(DISTINCT ...) at position " + std::to_string(begin + 1) +
                               " is not supported; count the rows of SELECT DISTINCT instead");
      }
      if (!IsSymbol(")")) {
        do {
          EMBER_ASSIGN_OR_RETURN(ExprPtr a, Expression());
          e->args.push_back(std::move(a));
        } while (IsSymbol(",") && (Next(), true));
      }
      EMBER_RETURN_IF_ERROR(ExpectSymbol(")"));
      return Finish(std::move(e), begin);
    }
    ExprPtr e = Make(Expr::Kind::kColumn, begin);
    e->name = t.text;
    Next();
    return Finish(std::move(e), begin);
  }

  Result<ExprPtr> Case() {
    const size_t begin = Next().begin;
    ExprPtr e = Make(Expr::Kind::kCase, begin);
    if (!IsKeyword("WHEN")) {
      EMBER_ASSIGN_OR_RETURN(ExprPtr operand, Expression());
      e->args.push_back(std::move(operand));
      e->has_operand = true;
    }
    if (!IsKeyword("WHEN")) return Expected("WHEN");
    while (IsKeyword("WHEN")) {
      Next();
      EMBER_ASSIGN_OR_RETURN(ExprPtr when, Expression());
      EMBER_RETURN_IF_ERROR(ExpectKeyword("THEN"));
      EMBER_ASSIGN_OR_RETURN(ExprPtr then, Expression());
      e->args.push_back(std::move(when));
      e->args.push_back(std::move(then));
    }
    if (IsKeyword("ELSE")) {
      Next();
      EMBER_ASSIGN_OR_RETURN(ExprPtr other, Expression());
      e->args.push_back(std::move(other));
      e->has_else = true;
    }
    EMBER_RETURN_IF_ERROR(ExpectKeyword("END"));
    return Finish(std::move(e), begin);
  }

  Result<ExprPtr> Cast() {
    const size_t begin = Next().begin;
    ExprPtr e = Make(Expr::Kind::kCast, begin);
    EMBER_RETURN_IF_ERROR(ExpectSymbol("("));
    EMBER_ASSIGN_OR_RETURN(ExprPtr a, Expression());
    EMBER_RETURN_IF_ERROR(ExpectKeyword("AS"));
    constexpr std::string_view kTypes =
        "a type name (BIGINT, DOUBLE, STRING, BOOLEAN, DATE or TIMESTAMP)";
    if (Peek().kind != Token::Kind::kIdent) return Expected(std::string(kTypes));
    const std::string type = Lower(Peek().text);
    if (type == "int" || type == "integer" || type == "bigint" || type == "long" ||
        type == "smallint" || type == "tinyint") {
      e->cast_to = SqlType::kInt;
    } else if (type == "double" || type == "float" || type == "real") {
      e->cast_to = SqlType::kDouble;
    } else if (type == "string" || type == "varchar" || type == "text" || type == "char") {
      e->cast_to = SqlType::kString;
    } else if (type == "boolean" || type == "bool") {
      e->cast_to = SqlType::kBool;
    } else if (type == "date") {
      e->cast_to = SqlType::kDate;
    } else if (type == "timestamp") {
      e->cast_to = SqlType::kTimestamp;
    } else {
      return Expected(std::string(kTypes));
    }
    Next();
    EMBER_RETURN_IF_ERROR(ExpectSymbol(")"));
    e->args.push_back(std::move(a));
    return Finish(std::move(e), begin);
  }

  std::string_view s_;
  std::vector<Token> t_;
  size_t k_ = 0;
  int depth_ = 0;
};

}  // namespace

bool IsAggregate(const Expr& e) {
  return e.kind == Expr::Kind::kCall &&
         std::find(std::begin(kAggregateNames), std::end(kAggregateNames), e.name) !=
             std::end(kAggregateNames);
}

Result<SelectStatement> ParseSelect(std::string_view statement) {
  EMBER_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(statement));
  Parser p(statement, std::move(tokens));
  return p.Select();
}

}  // namespace ember::sql::internal
