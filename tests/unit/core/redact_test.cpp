// Passwords in connection strings never reach a message, a log or the manifest.

#include "twinrisk/core/redact.hpp"

#include <gtest/gtest.h>

#include "twinrisk/core/error.hpp"

namespace twinrisk {
namespace {

struct Case {
  const char* text;
  const char* redacted;
};

class Redact : public ::testing::TestWithParam<Case> {};

TEST_P(Redact, HidesThePasswordAndKeepsTheRest) { EXPECT_EQ(redact_secrets(GetParam().text), GetParam().redacted); }

INSTANTIATE_TEST_SUITE_P(
    ConnectionStrings, Redact,
    ::testing::Values(
        Case{"PG:dbname=x host=/tmp user=u password=S3cret port=5432",
             "PG:dbname=x host=/tmp user=u password=*** port=5432"},
        Case{"PG:dbname=x password='with spaces\\' and quote' user=u", "PG:dbname=x password=*** user=u"},
        Case{"PG:dbname=x PASSWORD = S3cret", "PG:dbname=x PASSWORD = ***"},
        // An unquoted libpq value runs to the next space, so the colon may be the password's.
        Case{"cannot open PG:host=h pwd=S3cret: refused", "cannot open PG:host=h pwd=*** refused"},
        Case{"postgresql://user:S3cret@db.example.org:5432/gis", "postgresql://user:***@db.example.org:5432/gis"},
        Case{"a plain message about a layer", "a plain message about a layer"},
        Case{"pwd= x and pgpwd=not a keyword", "pwd= *** and pgpwd=not a keyword"},
        Case{"two: password=a, then postgresql://u:b@h and ftp://host:21/x", "two: password=*** then postgresql://u:***@h and ftp://host:21/x"},
        Case{"layers/passwords.gpkg", "layers/passwords.gpkg"}));

TEST(Redact, ALongValueIsRedactedWithoutExhaustingTheStack) {
  // std::regex recursed once per character: a 300 kB password in a pipeline crashed the run.
  const std::string secret(300000, 'a');
  EXPECT_EQ(redact_secrets("PG:dbname=x password='" + secret), "PG:dbname=x password=***");
  EXPECT_EQ(redact_secrets("PG:password=" + secret + " host=h"), "PG:password=*** host=h");
  EXPECT_EQ(redact_secrets("postgresql://u:" + secret + "@h/db"), "postgresql://u:***@h/db");
}

TEST(Redact, ErrorsAreRedactedWhereverTheSecretIs) {
  const Error error(ErrorKind::input, "cannot open PG:dbname=x password=S3cret", {"PG:password=S3cret", {}, {}, {}, {}},
                    "check PG:password=S3cret");
  const std::string what = error.what();
  EXPECT_EQ(what.find("S3cret"), std::string::npos) << what;
  EXPECT_EQ(error.message().find("S3cret"), std::string::npos);
  EXPECT_NE(what.find("password=***"), std::string::npos) << what;
}

}  // namespace
}  // namespace twinrisk
