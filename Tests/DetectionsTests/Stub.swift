import Testing
@Test func stub2() {}
