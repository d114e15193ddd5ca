// Temporary stand-ins for the dictionary and charset work being written in parallel; removed on merge.
package final class FIXDictionary: Sendable {
    package static let standard = FIXDictionary()
    package func name(of tag: Int) -> String? {
        [1: "Account", 8: "BeginString", 9: "BodyLength", 10: "CheckSum", 11: "ClOrdID", 34: "MsgSeqNum", 35: "MsgType",
         38: "OrderQty", 44: "Price", 49: "SenderCompID", 52: "SendingTime", 54: "Side", 55: "Symbol", 56: "TargetCompID",
         58: "Text", 553: "Username", 554: "Password", 98: "EncryptMethod", 108: "HeartBtInt"][tag]
    }
    package func messageName(of msgType: String) -> String? {
        ["0": "Heartbeat", "A": "Logon", "D": "NewOrderSingle", "8": "ExecutionReport", "5": "Logout"][msgType]
    }
}

package enum FIXTextEncoding: Sendable { case utf8, gbk, latin1, ascii }

package enum FIXCharset {
    package static func encoding(named name: String) -> FIXTextEncoding? {
        switch name.uppercased() {
        case "GBK", "GB2312", "GB18030", "CP936": .gbk
        case "UTF-8", "UTF8": .utf8
        case "ISO-8859-1", "LATIN1": .latin1
        default: nil
        }
    }
    package static func decode(_ bytes: UnsafeRawBufferPointer, as encoding: FIXTextEncoding) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
