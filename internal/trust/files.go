package trust

// LogCertFile is the transparency log certificate's file name in the keys
// directory (`pledgectl audit verify` finds the log key there).
const LogCertFile = fileLogCert
