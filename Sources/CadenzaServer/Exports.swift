// The leaf parsers (JSON, CSV, forms, byte ranges) every feature uses, without an import in each file.
@_exported import CadenzaFormats
