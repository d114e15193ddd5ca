/// The data type of a FIX field, as the QuickFIX dictionaries spell it (`STRING`, `INT`, `PRICE`, ...).
package enum FIXFieldType: Sendable, Hashable, CustomStringConvertible {
    /// `STRING`.
    case string
    /// `CHAR`: one character.
    case char
    /// `BOOLEAN`: `Y` or `N`.
    case boolean
    /// `INT`.
    case int
    /// `LENGTH`: a byte count, such as the length of a DATA field.
    case length
    /// `NUMINGROUP`: the number of entries of a repeating group.
    case numInGroup
    /// `SEQNUM`: a message sequence number.
    case seqNum
    /// `TAGNUM`: a tag number.
    case tagNum
    /// `DAYOFMONTH`.
    case dayOfMonth
    /// `FLOAT`.
    case float
    /// `QTY`.
    case qty
    /// `PRICE`.
    case price
    /// `PRICEOFFSET`.
    case priceOffset
    /// `AMT`.
    case amt
    /// `PERCENTAGE`.
    case percentage
    /// `DATA`: raw bytes whose length the preceding LENGTH field gives.
    case data
    /// `XMLDATA`: an XML document whose length the preceding LENGTH field gives.
    case xmlData
    /// `MULTIPLEVALUESTRING`: space-separated values.
    case multipleValueString
    /// `MULTIPLECHARVALUE`: space-separated characters.
    case multipleCharValue
    /// `MULTIPLESTRINGVALUE`: space-separated strings.
    case multipleStringValue
    /// `CURRENCY`.
    case currency
    /// `EXCHANGE`.
    case exchange
    /// `COUNTRY`.
    case country
    /// `LANGUAGE`.
    case language
    /// `UTCTIMESTAMP`.
    case utcTimestamp
    /// `UTCTIMEONLY`.
    case utcTimeOnly
    /// `UTCDATEONLY`.
    case utcDateOnly
    /// `UTCDATE` (FIX 4.1-4.2).
    case utcDate
    /// `LOCALMKTDATE`.
    case localMktDate
    /// `TZTIMEONLY`.
    case tzTimeOnly
    /// `TZTIMESTAMP`.
    case tzTimestamp
    /// `MONTHYEAR`.
    case monthYear
    /// `DATE` (FIX 4.0-4.1).
    case date
    /// `TIME` (FIX 4.0-4.1).
    case time
    /// A type name the standard dictionaries do not use, kept as written.
    case other(String)

    /// The type a dictionary's `type` attribute names (case-insensitive).
    package init(name: some StringProtocol) {
        switch name.uppercased() {
        case "STRING": self = .string
        case "CHAR": self = .char
        case "BOOLEAN": self = .boolean
        case "INT": self = .int
        case "LENGTH": self = .length
        case "NUMINGROUP": self = .numInGroup
        case "SEQNUM": self = .seqNum
        case "TAGNUM": self = .tagNum
        case "DAYOFMONTH": self = .dayOfMonth
        case "FLOAT": self = .float
        case "QTY", "QUANTITY": self = .qty
        case "PRICE": self = .price
        case "PRICEOFFSET": self = .priceOffset
        case "AMT": self = .amt
        case "PERCENTAGE": self = .percentage
        case "DATA": self = .data
        case "XMLDATA": self = .xmlData
        case "MULTIPLEVALUESTRING": self = .multipleValueString
        case "MULTIPLECHARVALUE": self = .multipleCharValue
        case "MULTIPLESTRINGVALUE": self = .multipleStringValue
        case "CURRENCY": self = .currency
        case "EXCHANGE": self = .exchange
        case "COUNTRY": self = .country
        case "LANGUAGE": self = .language
        case "UTCTIMESTAMP": self = .utcTimestamp
        case "UTCTIMEONLY": self = .utcTimeOnly
        case "UTCDATEONLY": self = .utcDateOnly
        case "UTCDATE": self = .utcDate
        case "LOCALMKTDATE": self = .localMktDate
        case "TZTIMEONLY": self = .tzTimeOnly
        case "TZTIMESTAMP": self = .tzTimestamp
        case "MONTHYEAR": self = .monthYear
        case "DATE": self = .date
        case "TIME": self = .time
        default: self = .other(String(name))
        }
    }

    /// The name as the QuickFIX dictionaries write it (`NUMINGROUP`).
    package var description: String {
        switch self {
        case .string: "STRING"
        case .char: "CHAR"
        case .boolean: "BOOLEAN"
        case .int: "INT"
        case .length: "LENGTH"
        case .numInGroup: "NUMINGROUP"
        case .seqNum: "SEQNUM"
        case .tagNum: "TAGNUM"
        case .dayOfMonth: "DAYOFMONTH"
        case .float: "FLOAT"
        case .qty: "QTY"
        case .price: "PRICE"
        case .priceOffset: "PRICEOFFSET"
        case .amt: "AMT"
        case .percentage: "PERCENTAGE"
        case .data: "DATA"
        case .xmlData: "XMLDATA"
        case .multipleValueString: "MULTIPLEVALUESTRING"
        case .multipleCharValue: "MULTIPLECHARVALUE"
        case .multipleStringValue: "MULTIPLESTRINGVALUE"
        case .currency: "CURRENCY"
        case .exchange: "EXCHANGE"
        case .country: "COUNTRY"
        case .language: "LANGUAGE"
        case .utcTimestamp: "UTCTIMESTAMP"
        case .utcTimeOnly: "UTCTIMEONLY"
        case .utcDateOnly: "UTCDATEONLY"
        case .utcDate: "UTCDATE"
        case .localMktDate: "LOCALMKTDATE"
        case .tzTimeOnly: "TZTIMEONLY"
        case .tzTimestamp: "TZTIMESTAMP"
        case .monthYear: "MONTHYEAR"
        case .date: "DATE"
        case .time: "TIME"
        case .other(let name): name
        }
    }

    /// Whether values are whole numbers (INT, LENGTH, NUMINGROUP, SEQNUM, TAGNUM, DAYOFMONTH).
    package var isInteger: Bool {
        switch self {
        case .int, .length, .numInGroup, .seqNum, .tagNum, .dayOfMonth: true
        default: false
        }
    }

    /// Whether values are numbers, whole or decimal (the integer types, FLOAT, QTY, PRICE,
    /// PRICEOFFSET, AMT, PERCENTAGE), so rules can compare them as numbers.
    package var isNumeric: Bool {
        switch self {
        case .float, .qty, .price, .priceOffset, .amt, .percentage: true
        default: isInteger
        }
    }

    /// Whether a value is a space-separated list (the MULTIPLE*VALUE types).
    package var isMultipleValue: Bool {
        switch self {
        case .multipleValueString, .multipleCharValue, .multipleStringValue: true
        default: false
        }
    }

    /// Whether the field holds raw bytes (DATA, XMLDATA).
    package var isData: Bool {
        self == .data || self == .xmlData
    }
}
